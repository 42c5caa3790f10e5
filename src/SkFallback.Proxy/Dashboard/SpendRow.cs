namespace SkFallback.Proxy.Dashboard;

/// <summary>One budget on the dashboard: a key's day or month, or a tenant's day, with what is spent and held on it.</summary>
/// <param name="Owner"><c>key</c> or <c>tenant</c>.</param>
/// <param name="Name">The key's id or the tenant.</param>
/// <param name="Period"><c>today</c>, <c>this month</c>, or <c>since start</c> (a tenant without a limit: this replica's totals).</param>
/// <param name="SpentUsd">What is spent.</param>
/// <param name="HeldUsd">What in-flight attempts hold.</param>
/// <param name="LimitUsd">The budget, if there is one.</param>
internal sealed record SpendRow(string Owner, string Name, string Period, decimal SpentUsd, decimal HeldUsd, decimal? LimitUsd);
