using System.ClientModel;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Providers;

namespace SkFallback.Routing;

/// <summary>
/// Turns what went wrong in one attempt (an exception, or an HTTP status and its error body) into a
/// <see cref="FailureKind"/>. Answers that came back as a success but are not one are the judge's (<see cref="Judging.OutcomeJudge"/>).
/// </summary>
internal static class FailureClassifier
{
    private static readonly string[] ContextMarkers =
    [
        "context_length_exceeded", "maximum context length", "context window", "prompt is too long",
        "too many tokens", "reduce the length", "string_above_max_length", "input is too long",
    ];

    private static readonly string[] PolicyMarkers =
    [
        "content_filter", "content_policy", "content filtering", "content management policy", "responsible ai", "safety system", "usage policy",
        "flagged as potentially violating", "violates our usage polic", "violating our usage polic",
    ];

    /// <summary>Classifies an exception thrown by a provider client.</summary>
    public static FailureClassification Classify(Exception exception, HttpExchange? exchange, SecretRedactor redactor, DateTimeOffset now)
    {
        var detail = redactor.Describe(exception);

        // The transport's view wins: it is the same for every SDK.
        if (exchange?.StatusCode is HttpStatusCode observed && (int)observed >= 400)
        {
            return FromStatus((int)observed, exchange.ErrorBody, exchange.RetryAfter, detail);
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case ClientResultException { Status: >= 400 } clientResult:
                    return FromStatus(clientResult.Status, clientResult.Message, RetryAfterOf(clientResult, now), detail);
                case HttpRequestException { StatusCode: HttpStatusCode status }:
                    return FromStatus((int)status, current.Message, null, detail);
                case HttpIOException { HttpRequestError: HttpRequestError.InvalidResponse }:
                    return new(FailureKind.MalformedResponse, StatusOf(exchange), null, detail);
                case HttpIOException:
                case HttpRequestException:
                case IOException:
                case SocketException:
                    return new(FailureKind.ConnectionFailure, StatusOf(exchange), null, detail);
                case JsonException:
                case FormatException:
                case InvalidDataException:
                    return new(FailureKind.MalformedResponse, StatusOf(exchange), null, detail);
                case TimeoutException:
                    return new(FailureKind.Timeout, StatusOf(exchange), null, detail);
                default:
                    break;
            }

            // SDKs outside the core (Anthropic's) name their parse failures; match on the type name.
            var typeName = current.GetType().Name;
            if (typeName.Contains("InvalidData", StringComparison.Ordinal)
                || typeName.Contains("Json", StringComparison.Ordinal)
                || typeName.Contains("Serializ", StringComparison.Ordinal))
            {
                return new(FailureKind.MalformedResponse, StatusOf(exchange), null, detail);
            }
        }

        return new(FailureKind.Unknown, StatusOf(exchange), null, detail);
    }

    /// <summary>Classifies an HTTP error status with its body.</summary>
    internal static FailureClassification FromStatus(int status, string? body, TimeSpan? retryAfter, string detail) => status switch
    {
        429 => new(FailureKind.RateLimited, status, retryAfter, detail),
        408 => new(FailureKind.Timeout, status, null, detail),
        401 or 403 => Contains(body, PolicyMarkers)
            ? new(FailureKind.Refusal, status, null, detail)
            : new(FailureKind.Authentication, status, null, detail),
        404 => new(FailureKind.NotFound, status, null, detail),
        413 => new(FailureKind.ContextLengthExceeded, status, null, detail),
        >= 500 => new(FailureKind.ServerError, status, retryAfter, detail),
        >= 400 when Contains(body, ContextMarkers) => new(FailureKind.ContextLengthExceeded, status, null, detail),
        >= 400 when Contains(body, PolicyMarkers) => new(FailureKind.Refusal, status, null, detail),
        _ => new(FailureKind.CallerError, status, null, detail),
    };

    private static int? StatusOf(HttpExchange? exchange) => exchange?.StatusCode is HttpStatusCode status ? (int)status : null;

    private static TimeSpan? RetryAfterOf(ClientResultException exception, DateTimeOffset now)
    {
        var headers = exception.GetRawResponse()?.Headers;
        return headers is null
            ? null
            : HttpExchange.ParseRetryAfter(
                headers.TryGetValue("retry-after-ms", out var ms) ? ms : null,
                headers.TryGetValue("retry-after", out var retryAfter) ? retryAfter : null,
                now);
    }

    private static bool Contains(string? body, string[] markers)
    {
        if (string.IsNullOrEmpty(body))
        {
            return false;
        }

        foreach (var marker in markers)
        {
            if (body.Contains(marker, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
