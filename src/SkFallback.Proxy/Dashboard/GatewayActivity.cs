namespace SkFallback.Proxy.Dashboard;

/// <summary>What the gateway has served recently, for the dashboard: traffic per provider over time and the last fallbacks.</summary>
internal sealed class GatewayActivity
{
    /// <summary>Initializes a new instance of the <see cref="GatewayActivity"/> class.</summary>
    /// <param name="window">How far back the traffic chart reaches.</param>
    /// <param name="recentCapacity">How many fallback calls are kept.</param>
    public GatewayActivity(TimeSpan window, int recentCapacity)
    {
        Traffic = new TrafficHistory(window);
        Recent = new RecentCalls(recentCapacity);
    }

    /// <summary>Gets attempts and failures per provider over time.</summary>
    public TrafficHistory Traffic { get; }

    /// <summary>Gets the last calls that fell back.</summary>
    public RecentCalls Recent { get; }

    /// <summary>Records a finished call.</summary>
    /// <param name="call">The call.</param>
    public void Record(GatewayCall call)
    {
        Traffic.Add(call);
        Recent.Add(call);
    }
}
