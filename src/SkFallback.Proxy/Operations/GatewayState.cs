namespace SkFallback.Proxy.Operations;

/// <summary>Whether the gateway is shutting down (readiness turns false so a load balancer stops sending).</summary>
internal sealed class GatewayState
{
    private volatile bool _draining;

    /// <summary>Gets a value indicating whether shutdown has begun.</summary>
    public bool Draining => _draining;

    /// <summary>Marks shutdown as begun.</summary>
    public void BeginDrain() => _draining = true;
}
