using SkFallback.Cli.Hosting;

namespace SkFallback.Cli.Evaluation.Runs;

/// <summary>Sums a run's results up per target: quality, latency percentiles, cost, the pinned models seen.</summary>
internal static class RunSummarizer
{
    /// <summary>One summary per target, in target order.</summary>
    public static List<TargetSummary> Summarize(IReadOnlyList<EvalTarget> targets, IReadOnlyList<CaseResult> results) =>
        [.. targets.Select(t => Summarize(t.Name, t.Kind, t.ConfiguredModels, results.Where(r => r.Target == t.Name).ToList()))];

    /// <summary>The summary of one target's results.</summary>
    public static TargetSummary Summarize(string target, string kind, IReadOnlyList<string> configuredModels, IReadOnlyList<CaseResult> results)
    {
        var latencies = results.Select(r => r.LatencyMs).Order().ToList();
        return new TargetSummary
        {
            Target = target,
            Kind = kind,
            ConfiguredModels = configuredModels,
            Models = [.. results.Select(r => r.Model).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Cases = results.Count,
            Passed = results.Count(r => r.Passed),
            Errors = results.Count(r => r.Error is not null),
            PassRate = results.Count == 0 ? 0 : Math.Round((double)results.Count(r => r.Passed) / results.Count, 4),
            MeanScore = results.Count == 0 ? 0 : Math.Round(results.Average(r => r.Score), 4),
            LatencyP50Ms = Percentile(latencies, 0.50),
            LatencyP95Ms = Percentile(latencies, 0.95),
            FirstChunkP50Ms = results.Any(r => r.FirstChunkMs is not null) ? Percentile([.. results.Select(r => r.FirstChunkMs).OfType<double>().Order()], 0.50) : null,
            CostUsd = results.Sum(r => r.CostUsd ?? 0),
        };
    }

    /// <summary>The nearest-rank percentile of sorted values (0 when there are none).</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double fraction)
    {
        if (sorted.Count == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(fraction * sorted.Count);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)], 2);
    }
}
