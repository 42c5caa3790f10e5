using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using SkFallback.Caching;

namespace SkFallback.Proxy.Wire;

/// <summary>
/// What the chain said about an answer (provider, model, attempts, continuation, cost, cache), gathered from the
/// response's or the updates' <c>AdditionalProperties</c>, written as <c>x-skfallback-*</c> headers and, for streams, as
/// the <c>skfallback</c> object of the last event.
/// </summary>
internal sealed class AnswerMetadata
{
    /// <summary>The header naming the provider that answered (for a stream: that started the answer).</summary>
    public const string ProviderHeader = "x-skfallback-provider";

    /// <summary>The header naming the model that answered.</summary>
    public const string ModelHeader = "x-skfallback-model";

    /// <summary>The number of provider attempts made (skips not counted).</summary>
    public const string AttemptsHeader = "x-skfallback-attempts";

    /// <summary>The reasons of the failed attempts, in order, comma separated.</summary>
    public const string FallbackReasonsHeader = "x-skfallback-fallback-reasons";

    /// <summary>The actual cost in US dollars, when known.</summary>
    public const string CostHeader = "x-skfallback-cost-usd";

    /// <summary><c>exact</c>, <c>semantic</c> or <c>miss</c>.</summary>
    public const string CacheHeader = "x-skfallback-cache";

    /// <summary>The providers a continued stream joins, in order.</summary>
    public const string ContinuedFromHeader = "x-skfallback-continued-from";

    /// <summary>The gateway's own time in milliseconds: the request's time minus the time spent in provider attempts.</summary>
    public const string OverheadHeader = "x-skfallback-overhead-ms";

    /// <summary>Gets the provider that answered, or that the last update names.</summary>
    public string? Provider { get; private set; }

    /// <summary>Gets the model that answered.</summary>
    public string? Model { get; private set; }

    /// <summary>Gets the first provider of a stream (what the headers said).</summary>
    public string? FirstProvider { get; private set; }

    /// <summary>Gets the attempts.</summary>
    public IReadOnlyList<FallbackAttempt>? Attempts { get; private set; }

    /// <summary>Gets the providers a continued answer joins.</summary>
    public IReadOnlyList<string>? ContinuedFrom { get; private set; }

    /// <summary>Gets the actual cost.</summary>
    public decimal? CostUsd { get; private set; }

    /// <summary>Gets the cache layer that served the answer, if any.</summary>
    public string? Cache { get; private set; }

    /// <summary>Takes what a response or update carries.</summary>
    /// <param name="properties">The properties.</param>
    public void Absorb(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null || properties.Count == 0)
        {
            return;
        }

        if (properties.TryGetValue(FallbackMetadataKeys.Provider, out var provider) && provider is string p)
        {
            Provider = p;
            FirstProvider ??= p;
        }

        if (properties.TryGetValue(FallbackMetadataKeys.Model, out var model) && model is string m)
        {
            Model = m;
        }

        if (properties.TryGetValue(FallbackMetadataKeys.Attempts, out var attempts) && attempts is IReadOnlyList<FallbackAttempt> a)
        {
            Attempts = a;
        }

        if (properties.TryGetValue(FallbackMetadataKeys.ContinuedFrom, out var joined) && joined is IReadOnlyList<string> j)
        {
            ContinuedFrom = j;
        }

        if (properties.TryGetValue(FallbackMetadataKeys.CostUsd, out var cost) && cost is decimal c)
        {
            CostUsd = c;
        }

        if (properties.TryGetValue(CacheMetadataKeys.Hit, out var hit) && hit is string h)
        {
            Cache = h;
        }
    }

    /// <summary>The number of attempts that reached a provider.</summary>
    public int AttemptCount
    {
        get
        {
            var count = 0;
            foreach (var attempt in Attempts ?? [])
            {
                count += attempt.Skipped ? 0 : 1;
            }

            return count;
        }
    }

    /// <summary>The reasons of the failed attempts (skips included), comma separated.</summary>
    public string FallbackReasons
    {
        get
        {
            if (Attempts is not { } attempts || attempts.All(a => a.Succeeded))
            {
                // The usual answer (no failed attempt) needs no builder.
                return string.Empty;
            }

            var builder = new StringBuilder();
            foreach (var attempt in attempts)
            {
                if (!attempt.Succeeded)
                {
                    builder.Append(builder.Length == 0 ? string.Empty : ",").Append(attempt.Outcome);
                }
            }

            return builder.ToString();
        }
    }

    /// <summary>The gateway's own time: the elapsed time minus the attempts' time, never negative.</summary>
    /// <param name="elapsed">The request's time in the gateway so far.</param>
    /// <returns>Milliseconds.</returns>
    public double OverheadMs(TimeSpan elapsed)
    {
        var inProviders = TimeSpan.Zero;
        foreach (var attempt in Attempts ?? [])
        {
            inProviders += attempt.Skipped ? TimeSpan.Zero : attempt.Elapsed;
        }

        return Math.Max(0, (elapsed - inProviders).TotalMilliseconds);
    }

    /// <summary>Writes every header (a non-streaming answer: all is known).</summary>
    /// <param name="response">The response.</param>
    /// <param name="elapsed">The request's time so far.</param>
    public void WriteHeaders(HttpResponse response, TimeSpan elapsed)
    {
        WriteStartHeaders(response);
        var headers = response.Headers;
        headers[AttemptsHeader] = AttemptCount.ToString(CultureInfo.InvariantCulture);
        headers[FallbackReasonsHeader] = FallbackReasons;
        if (CostUsd is decimal cost)
        {
            headers[CostHeader] = cost.ToString("0.##########", CultureInfo.InvariantCulture);
        }

        if (ContinuedFrom is { Count: > 0 } joined)
        {
            headers[ContinuedFromHeader] = string.Join(',', joined);
        }

        headers[OverheadHeader] = OverheadMs(elapsed).ToString("0.###", CultureInfo.InvariantCulture);
    }

    /// <summary>Writes what is known when a stream starts: who starts it, and the cache.</summary>
    /// <param name="response">The response.</param>
    public void WriteStartHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        if (Provider is not null)
        {
            headers[ProviderHeader] = Provider;
        }

        if (Model is not null)
        {
            headers[ModelHeader] = Model;
        }

        headers[CacheHeader] = Cache ?? "miss";
    }

    /// <summary>Writes the <c>skfallback</c> object (the last event of a stream, and non-streaming bodies).</summary>
    /// <param name="writer">The writer, inside an object.</param>
    /// <param name="elapsed">The request's time so far.</param>
    public void WriteJson(Utf8JsonWriter writer, TimeSpan elapsed)
    {
        writer.WriteStartObject("skfallback");
        writer.WriteString("provider", Provider);
        writer.WriteString("model", Model);
        writer.WriteNumber("attempt_count", AttemptCount);
        writer.WriteStartArray("attempts");
        foreach (var attempt in Attempts ?? [])
        {
            WriteAttempt(writer, attempt);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("fallback_reasons");
        foreach (var attempt in Attempts ?? [])
        {
            if (!attempt.Succeeded)
            {
                writer.WriteStringValue(attempt.Outcome.ToString());
            }
        }

        writer.WriteEndArray();
        if (ContinuedFrom is { Count: > 0 } joined)
        {
            writer.WriteStartArray("continued_from");
            foreach (var name in joined)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }

        if (CostUsd is decimal cost)
        {
            writer.WriteNumber("cost_usd", cost);
        }

        writer.WriteString("cache", Cache ?? "miss");
        writer.WriteNumber("overhead_ms", Math.Round(OverheadMs(elapsed), 3));
        writer.WriteEndObject();
    }

    /// <summary>Writes one attempt without secrets (the library's details are secret-free).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="attempt">The attempt.</param>
    public static void WriteAttempt(Utf8JsonWriter writer, FallbackAttempt attempt)
    {
        writer.WriteStartObject();
        writer.WriteString("provider", attempt.Provider);
        writer.WriteString("model", attempt.Model);
        writer.WriteString("outcome", attempt.Outcome.ToString());
        if (attempt.StatusCode is int status)
        {
            writer.WriteNumber("status", status);
        }

        writer.WriteNumber("elapsed_ms", Math.Round(attempt.Elapsed.TotalMilliseconds, 1));
        if (attempt.Retry > 0)
        {
            writer.WriteNumber("retry", attempt.Retry);
        }

        if (attempt.Skipped)
        {
            writer.WriteBoolean("skipped", true);
        }

        if (!string.IsNullOrEmpty(attempt.Detail))
        {
            writer.WriteString("detail", attempt.Detail);
        }

        writer.WriteEndObject();
    }
}
