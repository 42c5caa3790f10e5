namespace SkFallback.Cli.Evaluation;

/// <summary>The outcome of one check on one answer.</summary>
/// <param name="Check">The check type.</param>
/// <param name="Passed">Whether it passed.</param>
/// <param name="Score">Its score from 0 to 1 (1 or 0 for pass/fail checks; the similarity; the judge's grade scaled).</param>
/// <param name="Reason">Why, in words.</param>
internal sealed record CheckResult(string Check, bool Passed, double Score, string Reason);
