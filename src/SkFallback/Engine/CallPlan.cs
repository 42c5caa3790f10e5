using SkFallback.Cost;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>
/// A call's request as routing and budgets see it: made only for calls that are routed, budgeted or checked against
/// a context window or a rate-limit window, so a plain call stays small.
/// </summary>
internal sealed class CallPlan
{
    /// <summary>Gets or sets the request as routing sees it (its token estimates are counted once per call).</summary>
    public RoutingRequest? Routing { get; set; }

    /// <summary>Gets or sets the chain positions to try, in order, when a policy chose them (otherwise the chain order).</summary>
    public IReadOnlyList<int>? Route { get; set; }

    /// <summary>Gets or sets the most the call may spend (per-call limit, turn remainder, the tighter), or <see langword="null"/>.</summary>
    public decimal? MaxCost { get; set; }

    /// <summary>Gets or sets which budget <see cref="MaxCost"/> comes from.</summary>
    public BudgetScope MaxCostScope { get; set; }

    /// <summary>Gets or sets the turn budget the call draws from.</summary>
    public TurnBudget? Turn { get; set; }

    /// <summary>Gets or sets the tenant the call is made for.</summary>
    public string? Tenant { get; set; }

    /// <summary>Gets or sets the tenant's daily limit, when it has one.</summary>
    public decimal? TenantLimit { get; set; }
}
