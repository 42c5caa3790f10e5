namespace SkFallback.Simulator.RateLimiting;

/// <summary>
/// One token bucket of capacity <c>limit</c>, refilled continuously at <c>limit / 60</c> tokens per second.
/// Not thread-safe: the owning <see cref="ModelScript"/> serialises access.
/// </summary>
/// <remarks>
/// The level is fixed-point: one token is <see cref="UnitsPerToken"/> units, so one tick of elapsed time adds
/// exactly <c>limit</c> units. Refill and the wait until a level is reached are therefore exact integers, and a
/// <c>retry-after</c> never drifts a second because of floating-point rounding.
/// </remarks>
internal sealed class TokenBucket
{
    private const long UnitsPerToken = 60 * TimeSpan.TicksPerSecond;

    private readonly long _limit;
    private long _units;
    private long _updatedTicks;

    public TokenBucket(int limit, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
        _units = Capacity;
        _updatedTicks = now.UtcTicks;
    }

    public int Limit => (int)_limit;

    /// <summary>Gets the whole tokens in the bucket (as of the last <see cref="Refill"/>).</summary>
    public int Remaining => (int)(_units / UnitsPerToken);

    private long Capacity => _limit * UnitsPerToken;

    /// <summary>Adds what flowed in since the last refill; a clock that went backwards adds nothing.</summary>
    public void Refill(DateTimeOffset now)
    {
        var elapsed = now.UtcTicks - _updatedTicks;
        if (elapsed <= 0)
        {
            return;
        }

        _updatedTicks = now.UtcTicks;
        var missing = Capacity - _units;

        // Compare before multiplying: a long idle period times the limit would overflow.
        _units = elapsed >= CeilingDivide(missing, _limit) ? Capacity : _units + (elapsed * _limit);
    }

    public bool Has(long tokens) => tokens <= _limit && _units >= tokens * UnitsPerToken;

    public void Take(long tokens) => _units -= tokens * UnitsPerToken;

    /// <summary>Sets the level to <paramref name="tokens"/> whole tokens at <paramref name="now"/>.</summary>
    public void Set(int tokens, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, Limit);
        Refill(now);
        _units = tokens * UnitsPerToken;
    }

    /// <summary>
    /// The wait until the bucket holds <paramref name="tokens"/>; a request above the capacity can never pass,
    /// so its wait is capped at the time until the bucket is full.
    /// </summary>
    public TimeSpan UntilAvailable(long tokens)
    {
        var deficit = (Math.Min(tokens, _limit) * UnitsPerToken) - _units;
        return deficit <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(CeilingDivide(deficit, _limit));
    }

    /// <summary>The wait until the bucket is back to its capacity (what both providers call the reset).</summary>
    public TimeSpan UntilFull => UntilAvailable(_limit);

    private static long CeilingDivide(long value, long divisor) => (value + divisor - 1) / divisor;
}
