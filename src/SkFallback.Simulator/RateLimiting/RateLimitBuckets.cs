namespace SkFallback.Simulator.RateLimiting;

/// <summary>
/// The requests and tokens buckets of one rate-limited model. A request passes only if both hold enough; a refused
/// request takes nothing from either. Not thread-safe: the owning <see cref="ModelScript"/> serialises access.
/// </summary>
internal sealed class RateLimitBuckets(int requestsPerMinute, int tokensPerMinute, DateTimeOffset now)
{
    private readonly TokenBucket _requests = new(requestsPerMinute, now);
    private readonly TokenBucket _tokens = new(tokensPerMinute, now);

    public int RequestsPerMinute => _requests.Limit;

    public int TokensPerMinute => _tokens.Limit;

    public void SetRemainingRequests(int requests, DateTimeOffset now)
    {
        _tokens.Refill(now);
        _requests.Set(requests, now);
    }

    public void SetRemainingTokens(int tokens, DateTimeOffset now)
    {
        _requests.Refill(now);
        _tokens.Set(tokens, now);
    }

    /// <summary>The current levels, taking nothing.</summary>
    public RateLimitStatus Peek(DateTimeOffset now)
    {
        Refill(now);
        return Status(now, null);
    }

    /// <summary>Takes one request and <paramref name="tokens"/> tokens if both buckets hold them.</summary>
    /// <returns>The levels after this request; <see cref="RateLimitStatus.Refusal"/> is set when it was refused.</returns>
    public RateLimitStatus TryTake(long tokens, DateTimeOffset now)
    {
        Refill(now);
        var hasRequest = _requests.Has(1);
        var hasTokens = _tokens.Has(tokens);
        if (hasRequest && hasTokens)
        {
            _requests.Take(1);
            _tokens.Take(tokens);
            return Status(now, null);
        }

        var retryAfter = TimeSpan.FromTicks(Math.Max(_requests.UntilAvailable(1).Ticks, _tokens.UntilAvailable(tokens).Ticks));
        var refusal = hasRequest
            ? new RateLimitRefusal(OnTokens: true, _tokens.Limit, _tokens.Remaining, tokens, retryAfter)
            : new RateLimitRefusal(OnTokens: false, _requests.Limit, _requests.Remaining, 1, retryAfter);
        return Status(now, refusal);
    }

    private void Refill(DateTimeOffset now)
    {
        _requests.Refill(now);
        _tokens.Refill(now);
    }

    private RateLimitStatus Status(DateTimeOffset now, RateLimitRefusal? refusal) => new(
        now,
        _requests.Limit,
        _requests.Remaining,
        _requests.UntilFull,
        _tokens.Limit,
        _tokens.Remaining,
        _tokens.UntilFull,
        refusal);
}
