namespace SkFallback.Cost;

/// <summary>Spending limits of a chain (section <c>SkFallback:Budget</c>), in US dollars at catalog prices.</summary>
/// <remarks>
/// Under any limit, a provider whose model has no catalog price is skipped: its cost cannot be bounded. Failed
/// attempts that reached a model (timeouts, dropped or truncated streams, refusals) and cancelled calls are charged
/// what they used: the reported usage when there is one, otherwise the prompt estimate plus the output delivered.
/// Provider errors with an HTTP status (429, 5xx, 4xx) are not billed by providers and are charged nothing.
/// </remarks>
public sealed class BudgetOptions
{
    /// <summary>Gets or sets the most one call may cost; a request may lower it with <see cref="FallbackMetadataKeys.MaxCostUsd"/>.</summary>
    /// <value>Defaults to <see langword="null"/> (no limit). Must be positive.</value>
    public decimal? MaxCostPerCall { get; set; }

    /// <summary>Gets or sets the most one agent turn (a Semantic Kernel tool loop, or every call sharing one <see cref="TurnBudget"/>) may cost.</summary>
    /// <value>Defaults to <see langword="null"/> (no limit). Must be positive.</value>
    public decimal? MaxCostPerTurn { get; set; }

    /// <summary>Gets the daily limits of named tenants (<see cref="FallbackMetadataKeys.Tenant"/>), by tenant, for the UTC day.</summary>
    public IDictionary<string, decimal> TenantDailyLimits { get; } = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the daily limit of a tenant not listed in <see cref="TenantDailyLimits"/>.</summary>
    /// <value>Defaults to <see langword="null"/>: unlisted tenants have no daily limit.</value>
    public decimal? DefaultTenantDailyLimit { get; set; }

    /// <summary>Gets or sets the factor the prompt estimate is multiplied by when a tenant budget is reserved, so that estimation error cannot overspend it.</summary>
    /// <value>Defaults to 1.25. Allowed range 1–3.</value>
    public double ReserveMargin { get; set; } = 1.25;

    /// <summary>Gets a value indicating whether any limit is set.</summary>
    public bool Any => MaxCostPerCall is not null || MaxCostPerTurn is not null || TenantDailyLimits.Count > 0 || DefaultTenantDailyLimit is not null;

    /// <summary>The daily limit of <paramref name="tenant"/>, if it has one.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <returns>The limit, or <see langword="null"/>.</returns>
    public decimal? DailyLimitOf(string? tenant) =>
        tenant is null ? null : TenantDailyLimits.TryGetValue(tenant, out var limit) ? limit : DefaultTenantDailyLimit;
}
