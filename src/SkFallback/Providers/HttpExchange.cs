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

    public void Reset()
    {
        StatusCode = null;
        RetryAfter = null;
        ErrorBody = null;
    }

    public void Record(HttpResponseMessage response, string? errorBody, DateTimeOffset now)
    {
        StatusCode = response.StatusCode;
        RetryAfter = ReadRetryAfter(response.Headers, now);
        ErrorBody = errorBody;
    }

    /// <summary>Reads how long to stay away: <c>retry-after-ms</c>, then <c>Retry-After</c> (seconds or HTTP date).</summary>
    internal static TimeSpan? ReadRetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.TryGetValues("retry-after-ms", out var msValues)
            && double.TryParse(msValues.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        if (headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is TimeSpan delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }

            if (retryAfter.Date is DateTimeOffset date)
            {
                var wait = date - now;
                return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            }
        }

        return null;
    }
}
