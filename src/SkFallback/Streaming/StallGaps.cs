namespace SkFallback.Streaming;

/// <summary>
/// One provider's gaps between stream updates after content started, as the stall detector measures them (per check:
/// the time since the last check that saw updates, divided by the updates it saw), in power-of-two millisecond buckets;
/// a pause longer than a check period shows as one long gap, faster updates as their mean. Recorded once per detector
/// check, never per update. Old samples fade: past <see cref="MaxSamples"/> every bucket is halved.
/// </summary>
internal sealed class StallGaps
{
    /// <summary>Samples a provider needs before its stall limit adapts.</summary>
    public const int MinSamples = 200;

    private const int MaxSamples = 20_000;
    private const int Buckets = 20; // upper edges 1 ms, 2 ms, ..., 2^19 ms (about 9 minutes)

    private readonly Lock _gate = new();
    private readonly long[] _counts = new long[Buckets];
    private long _total;

    /// <summary>Gets how many gaps are held.</summary>
    public long Count => Volatile.Read(ref _total);

    /// <summary>Records <paramref name="count"/> gaps of <paramref name="gap"/> each.</summary>
    public void Record(TimeSpan gap, int count)
    {
        if (count <= 0)
        {
            return;
        }

        var ms = Math.Max(1L, (long)Math.Ceiling(gap.TotalMilliseconds));
        var bucket = Math.Min(Buckets - 1, 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(ms - 1)));
        lock (_gate)
        {
            _counts[bucket] += count;
            _total += count;
            if (_total > MaxSamples)
            {
                _total = 0;
                for (var i = 0; i < Buckets; i++)
                {
                    _counts[i] /= 2;
                    _total += _counts[i];
                }
            }
        }
    }

    /// <summary>The 99th percentile gap (the upper edge of its bucket), or null with fewer than <see cref="MinSamples"/> samples.</summary>
    public TimeSpan? P99()
    {
        lock (_gate)
        {
            if (_total < MinSamples)
            {
                return null;
            }

            var wanted = (long)Math.Ceiling(_total * 0.99);
            long seen = 0;
            for (var i = 0; i < Buckets; i++)
            {
                seen += _counts[i];
                if (seen >= wanted)
                {
                    return TimeSpan.FromMilliseconds(1L << i);
                }
            }

            return TimeSpan.FromMilliseconds(1L << (Buckets - 1));
        }
    }

    /// <summary>
    /// The stall limit of a stream: <paramref name="timeout"/> until the provider has enough samples, then
    /// max(<paramref name="floor"/>, <paramref name="factor"/> × p99 gap), never above <paramref name="timeout"/>.
    /// A factor of 0 turns adaptation off.
    /// </summary>
    public static TimeSpan Limit(TimeSpan timeout, TimeSpan floor, double factor, TimeSpan? p99)
    {
        if (timeout == Timeout.InfiniteTimeSpan || factor <= 0 || p99 is not { } gap)
        {
            return timeout;
        }

        var adaptive = TimeSpan.FromTicks(Math.Max(floor.Ticks, (long)Math.Min(gap.Ticks * factor, long.MaxValue / 2)));
        return adaptive < timeout ? adaptive : timeout;
    }
}
