namespace SkFallback.Proxy.Configuration;

/// <summary>The dashboard the gateway serves at <c>/</c> (<c>SkFallback:Proxy:Dashboard</c>).</summary>
internal sealed class GatewayDashboardOptions
{
    /// <summary>Gets or sets the SHA-256 of the admin key that signs in (<c>sha256:</c> and 64 hex digits, as <c>keys create</c> prints).</summary>
    /// <value>Defaults to <see langword="null"/>: no dashboard, except offline, where the development key signs in.</value>
    public string? AdminKeyHash { get; set; }

    /// <summary>Gets or sets how often the page refreshes itself, in seconds.</summary>
    /// <value>Defaults to 5. Allowed range 1–300.</value>
    public int RefreshSeconds { get; set; } = 5;

    /// <summary>Gets or sets how far back the traffic chart reaches.</summary>
    /// <value>Defaults to 15 minutes. Allowed range 1 minute–2 hours.</value>
    public TimeSpan History { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Gets or sets how many of the latest fallback calls the dashboard keeps.</summary>
    /// <value>Defaults to 50. Allowed range 1–1000.</value>
    public int RecentFallbacks { get; set; } = 50;

    /// <summary>Gets or sets the run file of the last evaluation (<c>skfallback eval run --out</c>), shown when it exists.</summary>
    /// <value>Defaults to <see langword="null"/>: no evaluation panel data.</value>
    public string? EvalRunFile { get; set; }
}
