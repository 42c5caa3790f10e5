namespace SkFallback.Proxy.Configuration;

/// <summary>The gateway's own settings (section <c>SkFallback:Proxy</c>); the chains live in <c>SkFallback:Chains</c>.</summary>
internal sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "SkFallback:Proxy";

    /// <summary>The default body limit, 4 MiB.</summary>
    public const long DefaultMaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>Gets or sets the largest request body accepted; larger ones get 413.</summary>
    /// <value>Defaults to 4 MiB. Allowed range 1 KiB–256 MiB.</value>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>Gets or sets how long shutdown waits for in-flight requests and streams to finish.</summary>
    /// <value>Defaults to 30 s. Allowed range 0–10 minutes.</value>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets whether to serve the built-in provider simulator instead of configured chains.</summary>
    /// <value>Defaults to <see langword="null"/>: offline exactly when no chain is configured.</value>
    public bool? Offline { get; set; }

    /// <summary>Gets or sets the development gateway key used offline; a random one is made when not set.</summary>
    public string? DevelopmentKey { get; set; }

    /// <summary>Gets or sets a value indicating whether <c>GET /metrics</c> serves the meters (Prometheus text).</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Metrics { get; set; } = true;

    /// <summary>Gets the dashboard's settings.</summary>
    public GatewayDashboardOptions Dashboard { get; } = new();

    /// <summary>Gets where traces and metrics are exported (console or OTLP); nowhere by default.</summary>
    public GatewayTelemetryOptions Telemetry { get; } = new();

    /// <summary>Gets where replicas share rate limits and budgets (Redis); in process when not configured.</summary>
    public GatewayRedisOptions Redis { get; } = new();

    /// <summary>Gets the gateway keys, stored as hashes.</summary>
    public IList<GatewayKeyOptions> Keys { get; } = [];
}
