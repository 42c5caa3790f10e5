namespace SkFallback.Cli.Evaluation.Runs;

/// <summary>A current run against a stored baseline, per target; <see cref="Regressed"/> is the CI gate.</summary>
internal sealed record RunComparison
{
    /// <summary>Gets the metric compared: <c>pass-rate</c> or <c>mean-score</c>.</summary>
    public required string Metric { get; init; }

    /// <summary>Gets the largest fall allowed, in the metric's units (0 to 1).</summary>
    public double Threshold { get; init; }

    /// <summary>Gets each target, in the current run's order, then targets only the baseline has.</summary>
    public IReadOnlyList<TargetComparison> Targets { get; init; } = [];

    /// <summary>Gets whether any target regressed.</summary>
    public bool Regressed => Targets.Any(t => t.Regressed);

    /// <summary>The metrics <c>eval compare</c> can gate on.</summary>
    public static readonly IReadOnlyList<string> Metrics = ["pass-rate", "mean-score"];

    /// <summary>Compares <paramref name="current"/> with <paramref name="baseline"/>.</summary>
    public static RunComparison Compare(EvalRun baseline, EvalRun current, double threshold, string metric)
    {
        var targets = new List<TargetComparison>();
        var names = current.Targets.Select(t => t.Target).Concat(baseline.Targets.Select(t => t.Target)).Distinct(StringComparer.Ordinal);
        foreach (var name in names)
        {
            targets.Add(CompareTarget(name, baseline, current, threshold, metric));
        }

        return new RunComparison { Metric = metric, Threshold = threshold, Targets = targets };
    }

    private static TargetComparison CompareTarget(string name, EvalRun baseline, EvalRun current, double threshold, string metric)
    {
        var before = baseline.Targets.FirstOrDefault(t => t.Target == name);
        var now = current.Targets.FirstOrDefault(t => t.Target == name);
        double? Value(TargetSummary? s) => s is null ? null : metric == "mean-score" ? s.MeanScore : s.PassRate;
        var (b, c) = (Value(before), Value(now));
        var delta = b is { } x && c is { } y ? Math.Round(y - x, 4) : 0;
        var passedBefore = Outcomes(baseline, name);
        var passedNow = Outcomes(current, name);
        return new TargetComparison
        {
            Target = name,
            Baseline = b,
            Current = c,
            Delta = delta,
            // A tiny tolerance so that a fall of exactly the threshold passes despite binary fractions.
            Regressed = (before is not null && now is null) || (b is not null && c is not null && -delta > threshold + 1e-9),
            BaselineModels = before?.Models ?? [],
            CurrentModels = now?.Models ?? [],
            ModelChanged = before is not null && now is not null && !before.Models.SequenceEqual(now.Models, StringComparer.Ordinal),
            NewFailures = [.. passedBefore.Where(p => p.Value && passedNow.TryGetValue(p.Key, out var ok) && !ok).Select(p => p.Key)],
            Fixed = [.. passedBefore.Where(p => !p.Value && passedNow.TryGetValue(p.Key, out var ok) && ok).Select(p => p.Key)],
        };
    }

    private static Dictionary<string, bool> Outcomes(EvalRun run, string target) =>
        run.Results.Where(r => r.Target == target).GroupBy(r => r.CaseId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.All(r => r.Passed), StringComparer.Ordinal);
}
