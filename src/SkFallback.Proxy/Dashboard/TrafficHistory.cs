namespace SkFallback.Proxy.Dashboard;

/// <summary>
/// Attempts and failed attempts per provider in 10-second buckets over the last <see cref="Buckets"/> buckets (a ring,
/// so memory stays fixed), for the dashboard's chart. Counts come from every finished call's attempt list.
/// </summary>
internal sealed class TrafficHistory
{
    /// <summary>The width of one bucket.</summary>
    public static readonly TimeSpan BucketWidth = TimeSpan.FromSeconds(10);

    private const int MaxProviders = 64;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Counts[]> _byProvider = new(StringComparer.Ordinal);
    private readonly long[] _bucketOf;

    /// <summary>Initializes a new instance of the <see cref="TrafficHistory"/> class.</summary>
    /// <param name="window">How far back the history reaches.</param>
    public TrafficHistory(TimeSpan window)
    {
        Buckets = (int)Math.Max(1, Math.Ceiling(window / BucketWidth));
        _bucketOf = new long[Buckets];
        Array.Fill(_bucketOf, -1);
    }

    /// <summary>Gets the number of buckets kept.</summary>
    public int Buckets { get; }

    /// <summary>Counts the attempts of a finished call.</summary>
    /// <param name="call">The call.</param>
    public void Add(GatewayCall call)
    {
        var bucket = BucketOf(call.At);
        lock (_gate)
        {
            var slot = Slot(bucket);
            foreach (var attempt in call.Attempts)
            {
                if (attempt.Skipped || Row(attempt.Provider) is not { } row)
                {
                    continue;
                }

                row[slot].Attempts++;
                if (!attempt.Succeeded)
                {
                    row[slot].Failures++;
                }
            }
        }
    }

    /// <summary>The counts of each provider in each bucket up to <paramref name="now"/>, oldest first.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>Each provider's attempts and failures per bucket, and the start of the first bucket.</returns>
    public (DateTimeOffset Start, IReadOnlyList<(string Provider, int[] Attempts, int[] Failures)> Series) Read(DateTimeOffset now)
    {
        var last = BucketOf(now);
        var first = last - Buckets + 1;
        var series = new List<(string, int[], int[])>();
        lock (_gate)
        {
            foreach (var (provider, row) in _byProvider.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var attempts = new int[Buckets];
                var failures = new int[Buckets];
                for (var b = first; b <= last; b++)
                {
                    var slot = (int)(b % Buckets);
                    if (_bucketOf[slot] == b)
                    {
                        attempts[b - first] = row[slot].Attempts;
                        failures[b - first] = row[slot].Failures;
                    }
                }

                series.Add((provider, attempts, failures));
            }
        }

        return (new DateTimeOffset(first * BucketWidth.Ticks, TimeSpan.Zero), series);
    }

    private static long BucketOf(DateTimeOffset at) => at.UtcTicks / BucketWidth.Ticks;

    /// <summary>The ring slot of <paramref name="bucket"/>, cleared for every provider when it last held an older bucket.</summary>
    private int Slot(long bucket)
    {
        var slot = (int)(bucket % Buckets);
        if (_bucketOf[slot] != bucket)
        {
            _bucketOf[slot] = bucket;
            foreach (var row in _byProvider.Values)
            {
                row[slot] = default;
            }
        }

        return slot;
    }

    private Counts[]? Row(string provider)
    {
        if (!_byProvider.TryGetValue(provider, out var row))
        {
            if (_byProvider.Count >= MaxProviders)
            {
                return null;
            }

            row = new Counts[Buckets];
            _byProvider[provider] = row;
        }

        return row;
    }

    private struct Counts
    {
        public int Attempts;
        public int Failures;
    }
}
