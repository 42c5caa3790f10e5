namespace SkFallback.Simulator.RateLimiting;

/// <summary>Why a rate-limited model's buckets refused a request.</summary>
/// <param name="OnTokens">Whether the tokens bucket refused (otherwise the requests bucket did).</param>
/// <param name="Limit">The per-minute limit of the bucket that refused.</param>
/// <param name="Remaining">What that bucket holds now.</param>
/// <param name="Requested">What the request needed from it (1 for requests; prompt plus maximum output for tokens).</param>
/// <param name="RetryAfter">The wait until both buckets hold enough for this request.</param>
internal sealed record RateLimitRefusal(bool OnTokens, int Limit, int Remaining, long Requested, TimeSpan RetryAfter)
{
    /// <summary>Gets whether the request needs more than the whole limit, so no wait lets it pass.</summary>
    public bool ExceedsLimit => Requested > Limit;
}
