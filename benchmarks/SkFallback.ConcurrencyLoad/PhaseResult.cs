namespace SkFallback.ConcurrencyLoad;

/// <summary>One measured cell: a client, a stream count and a phase.</summary>
internal sealed record PhaseResult(
    string Client,
    int N,
    bool Faulty,
    int Streams,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    int Exact,
    int PeakPoolThreads,
    long AllocatedBytesPerStream,
    Dictionary<string, int> Lost,
    string LoadBefore,
    string LoadAfter)
{
    /// <summary>Gets whether one warm client served every round (else a fresh client per round).</summary>
    public bool Warm { get; init; }

    /// <summary>Gets the chain's attempt paths (providers and outcomes in order), with how many streams took each and their total time.</summary>
    public Dictionary<string, PathCount> Paths { get; init; } = [];

    /// <summary>Gets the bytes allocated by type, from allocation ticks, with <c>--allocation-types</c>.</summary>
    public IReadOnlyDictionary<string, long> AllocationTypes { get; init; } = new Dictionary<string, long>();
}

/// <summary>How many streams took one attempt path, and their total time.</summary>
internal readonly record struct PathCount(int Streams, double TotalMs);
