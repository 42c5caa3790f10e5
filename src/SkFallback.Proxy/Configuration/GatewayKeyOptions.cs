namespace SkFallback.Proxy.Configuration;

/// <summary>One gateway key (section <c>SkFallback:Proxy:Keys:N</c>): its hash and what it may do.</summary>
internal sealed class GatewayKeyOptions
{
    /// <summary>Gets or sets a name for the key, shown in logs and errors instead of the key.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Gets or sets the key's hash, <c>sha256:</c> followed by 64 hex digits (what <c>keys create</c> prints).</summary>
    public string Hash { get; set; } = string.Empty;

    /// <summary>Gets or sets the tenant the key's calls are made for (spend, tenant budgets, cache partition).</summary>
    public string? Tenant { get; set; }

    /// <summary>Gets the virtual models the key may call; empty allows every model.</summary>
    public IList<string> Models { get; } = [];

    /// <summary>Gets or sets the requests per minute the key may make; none by default.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Gets or sets the tokens (prompt and completion, as reported) per minute the key may use; none by default.</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>Gets or sets what the key may spend per UTC day, in US dollars; none by default.</summary>
    public decimal? DailyBudgetUsd { get; set; }

    /// <summary>Gets or sets what the key may spend per UTC month, in US dollars; none by default.</summary>
    public decimal? MonthlyBudgetUsd { get; set; }

    /// <summary>Gets or sets a value indicating whether the key may name another tenant with <c>x-skfallback-tenant</c>.</summary>
    public bool AllowTenantOverride { get; set; }

    /// <summary>Gets or sets a value indicating whether the key is revoked (kept so its use is reported as revoked).</summary>
    public bool Revoked { get; set; }
}
