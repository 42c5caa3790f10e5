namespace SkFallback.Cli.Evaluation.Runs;

/// <summary>How one target did over the whole set.</summary>
internal sealed record TargetSummary
{
    /// <summary>Gets the target's name (a provider's name, or <c>chain</c>).</summary>
    public required string Target { get; init; }

    /// <summary>Gets <c>provider</c> (one provider alone) or <c>chain</c> (the whole chain).</summary>
    public required string Kind { get; init; }

    /// <summary>Gets the configured model ids of the target's providers.</summary>
    public IReadOnlyList<string> ConfiguredModels { get; init; } = [];

    /// <summary>Gets the model ids the responses reported (pinned versions), sorted.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Gets the number of cases sent.</summary>
    public int Cases { get; init; }

    /// <summary>Gets the number of cases whose checks all passed.</summary>
    public int Passed { get; init; }

    /// <summary>Gets the number of calls that failed (no answer).</summary>
    public int Errors { get; init; }

    /// <summary>Gets the quality: the fraction of cases passed, 0 to 1 (what <c>eval compare</c> gates on).</summary>
    public double PassRate { get; init; }

    /// <summary>Gets the mean case score, 0 to 1.</summary>
    public double MeanScore { get; init; }

    /// <summary>Gets the median latency in milliseconds.</summary>
    public double LatencyP50Ms { get; init; }

    /// <summary>Gets the 95th-percentile latency in milliseconds.</summary>
    public double LatencyP95Ms { get; init; }

    /// <summary>Gets the median time to first content in milliseconds (<c>--stream</c> runs only).</summary>
    public double? FirstChunkP50Ms { get; init; }

    /// <summary>Gets the total cost in US dollars of the answers whose cost is known.</summary>
    public decimal CostUsd { get; init; }
}
