namespace SkFallback.Proxy.Dashboard;

/// <summary>One target of an evaluation run: a provider on its own, or the chain as a whole.</summary>
/// <param name="Target">The provider or chain name.</param>
/// <param name="Kind">Whether it is a provider or the chain.</param>
/// <param name="Models">The model ids that answered.</param>
/// <param name="Cases">How many cases it ran.</param>
/// <param name="PassRate">The share of cases that passed (0–1).</param>
/// <param name="MeanScore">The mean score (0–1).</param>
/// <param name="LatencyP50Ms">The median latency.</param>
/// <param name="CostUsd">What the run cost on it.</param>
internal sealed record EvalTargetRow(string Target, string? Kind, string? Models, double? Cases, double? PassRate, double? MeanScore, double? LatencyP50Ms, double? CostUsd);
