namespace SkFallback.Routing;

/// <summary>Exponential backoff with ±50% jitter: base · 2^retry, capped.</summary>
internal static class RetryBackoff
{
    public static TimeSpan Delay(int retry, TimeSpan baseDelay, TimeSpan maxDelay, double random)
    {
        if (baseDelay <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 16));
        var jittered = exponential * (0.5 + random);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, maxDelay.TotalMilliseconds));
    }
}
