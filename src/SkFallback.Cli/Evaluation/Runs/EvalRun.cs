namespace SkFallback.Cli.Evaluation.Runs;

/// <summary>A stored evaluation run: what was sent where, and how each target did. Written by <c>eval run</c> as JSON.</summary>
internal sealed record EvalRun
{
    /// <summary>The format version of this file.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Gets the format version.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>Gets when the run started (UTC).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets the golden set's file name.</summary>
    public string Dataset { get; init; } = string.Empty;

    /// <summary>Gets how many cases the set holds.</summary>
    public int CaseCount { get; init; }

    /// <summary>Gets whether the cases were streamed (<c>--stream</c>; first-chunk times recorded).</summary>
    public bool Streamed { get; init; }

    /// <summary>Gets whether the run went to the built-in simulator.</summary>
    public bool Offline { get; init; }

    /// <summary>Gets each target's summary, providers first in chain order, then the chain.</summary>
    public IReadOnlyList<TargetSummary> Targets { get; init; } = [];

    /// <summary>Gets every case result, by target then case.</summary>
    public IReadOnlyList<CaseResult> Results { get; init; } = [];
}
