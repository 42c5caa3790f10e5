namespace SkFallback.Cli.Events;

/// <summary>One sampled fallback event scored by <c>eval events</c>.</summary>
internal sealed record EventReview
{
    /// <summary>Gets the event id.</summary>
    public required string Id { get; init; }

    /// <summary>Gets when the call started.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>Gets the provider that answered (the backup).</summary>
    public string? Provider { get; init; }

    /// <summary>Gets the model that answered.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the provider that was tried first.</summary>
    public string? Primary { get; init; }

    /// <summary>Gets what the answer was scored against: <c>golden</c>, <c>primary</c> or <c>none</c> (not scored).</summary>
    public required string Basis { get; init; }

    /// <summary>Gets the golden case id, or the id of the event holding the primary's answer.</summary>
    public string? Reference { get; init; }

    /// <summary>Gets whether every check passed; <see langword="null"/> when not scored.</summary>
    public bool? Passed { get; init; }

    /// <summary>Gets the mean check score, 0 to 1; <see langword="null"/> when not scored.</summary>
    public double? Score { get; init; }

    /// <summary>Gets the failing checks' reasons (or why it was not scored).</summary>
    public string? Reason { get; init; }

    /// <summary>Gets the backup's answer.</summary>
    public string? Answer { get; init; }

    /// <summary>Gets each check's outcome.</summary>
    public IReadOnlyList<Evaluation.CheckResult> Checks { get; init; } = [];
}
