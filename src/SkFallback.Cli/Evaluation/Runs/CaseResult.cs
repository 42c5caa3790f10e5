namespace SkFallback.Cli.Evaluation.Runs;

/// <summary>One case sent to one target: the answer, how it scored, what it cost and how long it took.</summary>
internal sealed record CaseResult
{
    /// <summary>Gets the target (a provider's name, or <c>chain</c>).</summary>
    public required string Target { get; init; }

    /// <summary>Gets the case id.</summary>
    public required string CaseId { get; init; }

    /// <summary>Gets the case's tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Gets whether every check passed (false when the call failed).</summary>
    public bool Passed { get; init; }

    /// <summary>Gets the mean of the checks' scores, 0 to 1 (0 when the call failed).</summary>
    public double Score { get; init; }

    /// <summary>Gets the answer's text.</summary>
    public string? Answer { get; init; }

    /// <summary>Gets the provider that answered (for the chain, whichever did).</summary>
    public string? Provider { get; init; }

    /// <summary>Gets the model id the provider reported in its response: the pinned version that answered.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the latency of the call in milliseconds, retries and fallbacks included.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Gets the time to the first content in milliseconds (<c>--stream</c> runs only).</summary>
    public double? FirstChunkMs { get; init; }

    /// <summary>Gets the cost in US dollars from reported usage and the price catalog; <see langword="null"/> when unknown.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Gets the input tokens the provider reported.</summary>
    public long? InputTokens { get; init; }

    /// <summary>Gets the output tokens the provider reported.</summary>
    public long? OutputTokens { get; init; }

    /// <summary>Gets why the call failed; <see langword="null"/> when it answered.</summary>
    public string? Error { get; init; }

    /// <summary>Gets each check's outcome.</summary>
    public IReadOnlyList<CheckResult> Checks { get; init; } = [];
}
