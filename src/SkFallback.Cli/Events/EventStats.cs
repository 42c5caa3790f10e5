using SkFallback.Events;

namespace SkFallback.Cli.Events;

/// <summary>What <c>events stats</c> reports: outcomes, attempts per provider and reason, and per-provider totals.</summary>
internal sealed record EventStats
{
    /// <summary>Gets the events looked at.</summary>
    public int Events { get; init; }

    /// <summary>Gets the lines that could not be read.</summary>
    public int Malformed { get; init; }

    /// <summary>Gets the calls the events stand for (each counts 1/sample_rate).</summary>
    public double EstimatedCalls { get; init; }

    /// <summary>Gets the events by outcome, most first.</summary>
    public IReadOnlyList<OutcomeCount> Outcomes { get; init; } = [];

    /// <summary>Gets the attempts by provider and reason.</summary>
    public IReadOnlyList<ReasonCount> Reasons { get; init; } = [];

    /// <summary>Gets the per-provider totals.</summary>
    public IReadOnlyList<ProviderCount> Providers { get; init; } = [];

    /// <summary>Counts <paramref name="events"/>.</summary>
    public static EventStats Of(IReadOnlyList<FallbackEvent> events, int malformed)
    {
        static double Weight(FallbackEvent e) => e.SampleRate > 0 ? 1 / e.SampleRate : 1;
        var attempts = events.SelectMany(e => e.Attempts.Select(a => (Event: e, Attempt: a))).ToList();
        return new EventStats
        {
            Events = events.Count,
            Malformed = malformed,
            EstimatedCalls = Math.Round(events.Sum(Weight), 2),
            Outcomes = [.. events.GroupBy(e => e.Outcome).Select(g => new OutcomeCount(EventNames.Outcome(g.Key), g.Count(), Math.Round(g.Sum(Weight), 2))).OrderByDescending(o => o.Events)],
            Reasons = [.. attempts.GroupBy(x => (x.Attempt.Provider, x.Attempt.Reason))
                .Select(g => new ReasonCount(g.Key.Provider, g.Key.Reason.ToString(), g.Count(), Math.Round(g.Sum(x => Weight(x.Event)), 2), Math.Round(g.Average(x => x.Attempt.ElapsedMs), 2), g.Sum(x => x.Attempt.CostUsd ?? 0)))
                .OrderBy(r => r.Provider, StringComparer.Ordinal).ThenByDescending(r => r.Attempts)],
            Providers = [.. attempts.GroupBy(x => x.Attempt.Provider).Select(g => Provider(g.Key, g.ToList())).OrderByDescending(p => p.Attempts)],
        };
    }

    private static ProviderCount Provider(string name, List<(FallbackEvent Event, FallbackEventAttempt Attempt)> attempts)
    {
        static bool Failed(FallbackEventAttempt a) => a.Skipped || a.Reason != FailureKind.None;
        var failures = attempts.Count(x => Failed(x.Attempt));
        var events = attempts.Select(x => x.Event).Distinct().ToList();
        var answered = events.Count(e => e.Provider == name && e.Response is not null);
        var fellBackFrom = events.Count(e => e.Provider is { } other && other != name && e.Attempts.Any(a => a.Provider == name && Failed(a)));
        return new ProviderCount(name, attempts.Count, failures, answered, fellBackFrom, attempts.Count == 0 ? 0 : Math.Round((double)failures / attempts.Count, 4));
    }
}
