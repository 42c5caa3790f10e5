using System.ClientModel;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Providers;

namespace SkFallback.Routing;

/// <summary>
/// Turns what went wrong in one attempt (an exception, an HTTP status and error body, or a response that came
/// back as a success but is not one) into a <see cref="FailureKind"/>.
/// </summary>
internal sealed class FailureClassifier
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

    private readonly string[] _refusalPhrases;
    private readonly int _longestRefusalPhrase;

    // The first letters of the phrases, both cases: most answers are cleared by one lookup.
    private readonly System.Buffers.SearchValues<char> _refusalOpenings;

    public FailureClassifier(IEnumerable<string> refusalPhrases)
    {
        _refusalPhrases = refusalPhrases.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim()).ToArray();
        _longestRefusalPhrase = _refusalPhrases.Length == 0 ? 0 : _refusalPhrases.Max(p => p.Length);
        _refusalOpenings = System.Buffers.SearchValues.Create(string.Concat(_refusalPhrases.Select(p => $"{char.ToLowerInvariant(p[0])}{char.ToUpperInvariant(p[0])}")));
    }

    /// <summary>Gets how many characters of text are enough to decide whether an answer opens with a refusal.</summary>
    public int RefusalProbeLength => _longestRefusalPhrase;

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

    /// <summary>Checks a non-streaming response that came back as a success; returns <see cref="FailureKind.None"/> when it is one.</summary>
    public FailureKind Inspect(ChatResponse response, bool requireFinishReason)
    {
        if (response.FinishReason == ChatFinishReason.ContentFilter)
        {
            return FailureKind.Refusal;
        }

        var messages = response.Messages;
        var sawContent = false;
        for (var m = 0; m < messages.Count; m++)
        {
            var contents = messages[m].Contents;
            for (var c = 0; c < contents.Count; c++)
            {
                switch (contents[c])
                {
                    case ErrorContent { ErrorCode: "Refusal" }:
                        return FailureKind.Refusal;
                    case TextContent text when !sawContent && !string.IsNullOrWhiteSpace(text.Text):
                        if (OpensWithRefusal(text.Text.AsSpan()))
                        {
                            return FailureKind.Refusal;
                        }

                        sawContent = true;
                        break;
                    case TextContent:
                        break;
                    default:
                        sawContent = true;
                        break;
                }
            }
        }

        if (requireFinishReason && response.FinishReason is null)
        {
            return FailureKind.MalformedResponse;
        }

        return FailureKind.None;
    }

    /// <summary>Whether the text opens with one of the configured refusal phrases.</summary>
    public bool OpensWithRefusal(ReadOnlySpan<char> text)
    {
        text = text.TrimStart();
        if (text.IsEmpty || !_refusalOpenings.Contains(text[0]))
        {
            return false;
        }

        foreach (var phrase in _refusalPhrases)
        {
            if (text.StartsWith(phrase, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

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
