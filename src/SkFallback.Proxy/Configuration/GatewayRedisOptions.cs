namespace SkFallback.Proxy.Configuration;

/// <summary>
/// Where the gateway's replicas share key rate limits and tenant and key budgets (section <c>SkFallback:Proxy:Redis</c>).
/// Without <see cref="Configuration"/> every quota is held in process.
/// </summary>
internal sealed class GatewayRedisOptions
{
    /// <summary>Gets or sets the StackExchange.Redis configuration string (<c>host:port,password=...</c>); none by default.</summary>
    public string? Configuration { get; set; }

    /// <summary>Gets or sets the prefix of every Redis key the gateway writes.</summary>
    /// <value>Defaults to <c>skfallback:gateway:</c>.</value>
    public string KeyPrefix { get; set; } = "skfallback:gateway:";

    /// <summary>
    /// Gets or sets the share of each budget and limit one replica may hold and spend on its own while Redis is away;
    /// what it spent is added to the shared accounts when Redis is back.
    /// </summary>
    /// <value>Defaults to 0.1. Allowed range 0–1 (0 refuses every budgeted call while Redis is away).</value>
    public double OutageShare { get; set; } = 0.1;

    /// <summary>Gets or sets how long a hold lives in Redis if its replica dies before settling it.</summary>
    /// <value>Defaults to 10 minutes. Allowed range 1 s–1 day; keep it above the chains' deadlines.</value>
    public TimeSpan HoldTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
