using System.Net;
using System.Net.Http.Headers;

namespace SkFallback.Providers;

/// <summary>
/// What the transport saw of the last HTTP response of one attempt: its status, rate-limit hints and, for
/// errors, the start of the body. Filled by <see cref="ProviderHttpHandler"/>; read by the failure classifier,
/// so classification does not depend on how each SDK shapes its exceptions.
/// </summary>
internal sealed class HttpExchange
{
    private static readonly AsyncLocal<HttpExchange?> CurrentSlot = new();

    /// <summary>Gets or sets the exchange of the attempt running in this async flow.</summary>
    public static HttpExchange? Current
    {
        get => CurrentSlot.Value;
        set => CurrentSlot.Value = value;
    }

    public HttpStatusCode? StatusCode { get; private set; }

    public TimeSpan? RetryAfter { get; private set; }

    public string? ErrorBody { get; private set; }

    public long? RemainingTokens { get; private set; }

    public DateTimeOffset? TokensResetAt { get; private set; }

    public long? RemainingRequests { get; private set; }

    public DateTimeOffset? RequestsResetAt { get; private set; }

    public void Record(HttpResponseMessage response, string? errorBody, DateTimeOffset now)
    {
        StatusCode = response.StatusCode;
        RetryAfter = ReadRetryAfter(response.Headers, now);
        ErrorBody = errorBody;
        var headers = response.Headers;
        RemainingTokens = Number(headers, "x-ratelimit-remaining-tokens") ?? Number(headers, "anthropic-ratelimit-tokens-remaining") ?? Number(headers, "anthropic-ratelimit-input-tokens-remaining");
        TokensResetAt = Reset(headers, "x-ratelimit-reset-tokens", now) ?? Reset(headers, "anthropic-ratelimit-tokens-reset", now) ?? Reset(headers, "anthropic-ratelimit-input-tokens-reset", now);
        RemainingRequests = Number(headers, "x-ratelimit-remaining-requests") ?? Number(headers, "anthropic-ratelimit-requests-remaining");
        RequestsResetAt = Reset(headers, "x-ratelimit-reset-requests", now) ?? Reset(headers, "anthropic-ratelimit-requests-reset", now);
    }

    private static long? Number(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values)
        && long.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    /// <summary>A reset given as a duration (OpenAI: <c>1s</c>, <c>6m0s</c>, <c>20ms</c>) or a time (Anthropic: RFC 3339).</summary>
    private static DateTimeOffset? Reset(HttpResponseHeaders headers, string name, DateTimeOffset now)
    {
        if (!headers.TryGetValues(name, out var values) || values.FirstOrDefault() is not { Length: > 0 } text)
        {
            return null;
        }

        if (ParseDuration(text) is TimeSpan duration)
        {
            return now + duration;
        }

        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    /// <summary>Parses Go-style durations such as <c>1h2m3.5s</c>, <c>6m0s</c>, <c>20ms</c>.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        double totalMs = 0;
        var i = 0;
        var any = false;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(text.AsSpan(start, i - start), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            var factor = text.AsSpan(unitStart, i - unitStart) switch
            {
                "h" => 3_600_000d,
                "m" => 60_000d,
                "s" => 1_000d,
                "ms" => 1d,
                "us" or "µs" => 0.001,
                "ns" => 0.000001,
                _ => double.NaN,
            };
            if (double.IsNaN(factor))
            {
                return null;
            }

            totalMs += number * factor;
            any = true;
        }

        return any ? TimeSpan.FromMilliseconds(totalMs) : null;
    }

    /// <summary>Reads how long to stay away: <c>retry-after-ms</c>, then <c>Retry-After</c> (seconds or HTTP date).</summary>
    internal static TimeSpan? ReadRetryAfter(HttpResponseHeaders headers, DateTimeOffset now) =>
        ParseRetryAfter(
            headers.TryGetValues("retry-after-ms", out var ms) ? ms.FirstOrDefault() : null,
            headers.TryGetValues("retry-after", out var retryAfter) ? retryAfter.FirstOrDefault() : null,
            now);

    /// <summary>
    /// How long to stay away, from the header values themselves: <c>retry-after-ms</c> first, then <c>Retry-After</c>
    /// as seconds or an HTTP date. Never negative; <see langword="null"/> when neither says.
    /// </summary>
    internal static TimeSpan? ParseRetryAfter(string? retryAfterMs, string? retryAfter, DateTimeOffset now)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (double.TryParse(retryAfterMs, System.Globalization.NumberStyles.Float, invariant, out var ms) && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        if (string.IsNullOrWhiteSpace(retryAfter))
        {
            return null;
        }

        if (double.TryParse(retryAfter, System.Globalization.NumberStyles.Float, invariant, out var seconds))
        {
            return seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
        }

        if (DateTimeOffset.TryParse(retryAfter, invariant, System.Globalization.DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
