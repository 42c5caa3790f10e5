namespace SkFallback.Cli.Evaluation.Runs;

/// <summary>One target's quality in a baseline run and in the current run.</summary>
internal sealed record TargetComparison
{
    /// <summary>Gets the target's name.</summary>
    public required string Target { get; init; }

    /// <summary>Gets the baseline's score (pass rate or mean score, per the comparison's metric); <see langword="null"/> when the baseline lacks the target.</summary>
    public double? Baseline { get; init; }

    /// <summary>Gets the current score; <see langword="null"/> when the current run lacks the target.</summary>
    public double? Current { get; init; }

    /// <summary>Gets current minus baseline (0 when either is missing).</summary>
    public double Delta { get; init; }

    /// <summary>Gets whether the score fell by more than the threshold, or the target is missing from the current run.</summary>
    public bool Regressed { get; init; }

    /// <summary>Gets the pinned models the baseline's responses reported.</summary>
    public IReadOnlyList<string> BaselineModels { get; init; } = [];

    /// <summary>Gets the pinned models the current responses reported.</summary>
    public IReadOnlyList<string> CurrentModels { get; init; } = [];

    /// <summary>Gets whether the reported models differ (a version switch happened between the runs).</summary>
    public bool ModelChanged { get; init; }

    /// <summary>Gets the cases that passed in the baseline and fail now.</summary>
    public IReadOnlyList<string> NewFailures { get; init; } = [];

    /// <summary>Gets the cases that failed in the baseline and pass now.</summary>
    public IReadOnlyList<string> Fixed { get; init; } = [];
}
