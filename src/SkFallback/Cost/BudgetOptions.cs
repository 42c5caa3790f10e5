namespace SkFallback.Cost;

/// <summary>Spending limits of a chain (section <c>SkFallback:Budget</c>), in US dollars at catalog prices.</summary>
/// <remarks>
/// Under any limit, a provider whose model has no catalog price is skipped: its cost cannot be bounded. Failed
/// attempts that reached a model (timeouts, dropped or truncated streams, refusals) and cancelled calls are charged
/// what they used: the reported usage when there is one, otherwise the prompt estimate plus the output delivered.
/// Provider errors with an HTTP status (429, 5xx, 4xx) are not billed by providers and are charged nothing.
/// <para>
/// Tenant limits are held with reserve-then-settle: before each attempt its upper bound R = input price × ⌈prompt
/// estimate × <see cref="ReserveMargin"/>⌉ + output price × ⌈A × f⌉ is held, where A is the request's output cap
/// (<c>MaxOutputTokens</c>), else the model's catalog maximum output, and f is the factor the provider/model has been seen
/// to bill past A (1 until it does; see <see cref="MaxOutputOverbill"/>). An attempt is admitted only while the settled
/// spend S is below the limit L and S + held + R ≤ L. Worst case: when the last call of the day is admitted,
/// S + held ≤ L, so the settled spend ends at most L + Σ max(0, B − R) over the calls then in flight, B being what each is
/// billed. An honest provider (B ≤ R) never overshoots. A provider billing ρ output tokens per token of allowance
/// overshoots by at most C × output price × A × (ρ − f) for C calls of the tenant in flight at once; with f = 1 before
/// the first over-billed answer settles, and f = min(ρ, <see cref="MaxOutputOverbill"/>) after it, calls admitted
/// later overshoot nothing while ρ ≤ <see cref="MaxOutputOverbill"/>. C is at most L ÷ R: the calls whose holds fit the
/// limit at once.
/// </para>
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

    /// <summary>
    /// Gets or sets the largest factor a tenant reservation multiplies its output allowance by after a provider/model
    /// reported more output tokens than the allowance (the request's cap, else the catalog maximum output). Each such
    /// report raises the provider/model's factor at once to reported ÷ allowance, capped here.
    /// </summary>
    /// <value>Defaults to 4. Allowed range 1–100; 1 turns the learning off (reservations trust the cap).</value>
    public double MaxOutputOverbill { get; set; } = 4.0;

    /// <summary>Gets or sets how fast a learned over-billing factor fades: its excess over 1 halves every half-life without a new over-billed report.</summary>
    /// <value>Defaults to 1 day. Allowed range 1 minute–365 days.</value>
    public TimeSpan OverbillHalfLife { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Gets a value indicating whether any limit is set.</summary>
    public bool Any => MaxCostPerCall is not null || MaxCostPerTurn is not null || TenantDailyLimits.Count > 0 || DefaultTenantDailyLimit is not null;

    /// <summary>The daily limit of <paramref name="tenant"/>, if it has one.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <returns>The limit, or <see langword="null"/>.</returns>
    public decimal? DailyLimitOf(string? tenant) =>
        tenant is null ? null : TenantDailyLimits.TryGetValue(tenant, out var limit) ? limit : DefaultTenantDailyLimit;
}
