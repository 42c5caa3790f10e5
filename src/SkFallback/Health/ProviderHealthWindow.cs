namespace SkFallback.Health;

/// <summary>
/// The most recent attempts of one provider, in fixed rings: recording is two array writes and an interlocked
/// increment, with no lock and no allocation; snapshots copy and sort.
/// </summary>
public sealed class ProviderHealthWindow
{
    /// <summary>How many recent attempts (and streaming first tokens) the window keeps.</summary>
    public const int Capacity = 128;
    private const int Mask = Capacity - 1;

    private readonly long[] _durations = new long[Capacity];
    private readonly bool[] _failed = new bool[Capacity];
    private readonly long[] _firstTokens = new long[Capacity];
    private long _attempts;
    private long _streams;
    private int _lastFailure = -1;
    private long _lastFailureTicks;

    internal ProviderHealthWindow()
    {
    }

    internal void Record(TimeSpan duration, FailureKind outcome, DateTimeOffset at)
    {
        var slot = (int)((Interlocked.Increment(ref _attempts) - 1) & Mask);
        _durations[slot] = duration.Ticks;
        _failed[slot] = outcome != FailureKind.None;
        if (outcome != FailureKind.None)
        {
            _lastFailure = (int)outcome;
            _lastFailureTicks = at.UtcTicks;
        }
    }

    /// <summary>How many attempts a provider needs before its p95 latency is used for routing.</summary>
    public const int MinLatencySamples = 10;

    /// <summary>
    /// The p95 attempt latency for routing and hedging (<see langword="null"/> before <see cref="MinLatencySamples"/> attempts).
    /// Recomputed only when the window changed, and then at most once every eight attempts after the first 32, so a
    /// routing decision reads a cached value.
    /// </summary>
    internal TimeSpan? LatencyP95() => CachedP95(_durations, Interlocked.Read(ref _attempts), ref _p95Cache);

    /// <summary>The p95 time to first content of streams, for hedging (<see langword="null"/> before <see cref="MinLatencySamples"/> streams); cached like <see cref="LatencyP95"/>.</summary>
    internal TimeSpan? FirstTokenP95() => CachedP95(_firstTokens, Interlocked.Read(ref _streams), ref _firstTokenP95Cache);

    private static TimeSpan? CachedP95(long[] ring, long samples, ref CachedPercentile? cache)
    {
        // With few samples the p95 is just the slowest call (often a cold start): not enough to act on.
        if (samples < MinLatencySamples)
        {
            return null;
        }

        var cached = Volatile.Read(ref cache);
        if (cached is not null && (cached.At == samples || (samples > 32 && samples - cached.At < 8)))
        {
            return cached.Value;
        }

        var count = (int)Math.Min(samples, Capacity);
        Span<long> sorted = stackalloc long[count];
        ring.AsSpan(0, count).CopyTo(sorted);
        sorted.Sort();
        var rank = Math.Clamp((int)Math.Ceiling(0.95 * count) - 1, 0, count - 1);
        var value = TimeSpan.FromTicks(sorted[rank]);
        Volatile.Write(ref cache, new CachedPercentile(samples, value));
        return value;
    }

    private CachedPercentile? _p95Cache;

    private CachedPercentile? _firstTokenP95Cache;

    private sealed record CachedPercentile(long At, TimeSpan Value);

    internal void RecordFirstToken(TimeSpan timeToFirstToken)
    {
        var slot = (int)((Interlocked.Increment(ref _streams) - 1) & Mask);
        _firstTokens[slot] = timeToFirstToken.Ticks;
    }

    internal (int Count, double ErrorRate, TimeSpan? P50, TimeSpan? P95, TimeSpan? FirstTokenP50, FailureKind? Last, DateTimeOffset? LastAt) Read()
    {
        var count = (int)Math.Min(Interlocked.Read(ref _attempts), Capacity);
        var durations = new long[count];
        Array.Copy(_durations, durations, count);
        var failures = 0;
        for (var i = 0; i < count; i++)
        {
            failures += _failed[i] ? 1 : 0;
        }

        Array.Sort(durations);
        var streams = (int)Math.Min(Interlocked.Read(ref _streams), Capacity);
        var firstTokens = new long[streams];
        Array.Copy(_firstTokens, firstTokens, streams);
        Array.Sort(firstTokens);
        var last = _lastFailure;
        return (
            count,
            count == 0 ? 0 : (double)failures / count,
            Percentile(durations, 0.50),
            Percentile(durations, 0.95),
            Percentile(firstTokens, 0.50),
            last < 0 ? null : (FailureKind)last,
            last < 0 ? null : new DateTimeOffset(_lastFailureTicks, TimeSpan.Zero));
    }

    /// <summary>Nearest-rank percentile of sorted ticks.</summary>
    internal static TimeSpan? Percentile(long[] sorted, double fraction)
    {
        if (sorted.Length == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(fraction * sorted.Length) - 1;
        return TimeSpan.FromTicks(sorted[Math.Clamp(rank, 0, sorted.Length - 1)]);
    }
}
