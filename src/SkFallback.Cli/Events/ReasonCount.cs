namespace SkFallback.Cli.Events;

/// <summary>The attempts of one provider that ended for one reason (<c>None</c>: it answered).</summary>
/// <param name="Provider">The provider.</param>
/// <param name="Reason">The <see cref="FailureKind"/> name.</param>
/// <param name="Attempts">Attempts logged (skips included).</param>
/// <param name="EstimatedAttempts">Attempts they stand for (1/sample_rate each).</param>
/// <param name="MeanElapsedMs">Their mean duration.</param>
/// <param name="CostUsd">What they were charged.</param>
internal sealed record ReasonCount(string Provider, string Reason, int Attempts, double EstimatedAttempts, double MeanElapsedMs, decimal CostUsd);
