using SkFallback.Health;

namespace SkFallback.Proxy.Dashboard;

/// <summary>Everything one rendering of the dashboard shows, read at one moment.</summary>
/// <param name="Now">When it was read.</param>
/// <param name="Calls">Calls finished since start.</param>
/// <param name="FallbackCount">Of which fell back, were continued or failed.</param>
/// <param name="Health">Each chain's providers: breaker and health.</param>
/// <param name="Traffic">Attempts and failures per provider per bucket, oldest first.</param>
/// <param name="Buckets">The number of buckets.</param>
/// <param name="Spend">Budgets and spend.</param>
/// <param name="Fallbacks">The latest calls that fell back, newest first.</param>
/// <param name="Eval">The last evaluation run, if configured.</param>
internal sealed record DashboardView(
    DateTimeOffset Now,
    long Calls,
    long FallbackCount,
    IReadOnlyList<(string Chain, IReadOnlyList<ProviderHealthSnapshot> Providers)> Health,
    IReadOnlyList<(string Provider, int[] Attempts, int[] Failures)> Traffic,
    int Buckets,
    IReadOnlyList<SpendRow> Spend,
    IReadOnlyList<GatewayCall> Fallbacks,
    EvalResult? Eval);
