using SkFallback.Proxy.Keys;

namespace SkFallback.Proxy.Quotas;

/// <summary>
/// The gateway key of the request whose chain is running, flowing with the call into every attempt (races included),
/// so <see cref="GatewayLedger"/> can hold the key's budgets beside the tenant's. Set only for keys with a budget.
/// </summary>
internal static class QuotaContext
{
    private static readonly AsyncLocal<GatewayKey?> Key = new();

    /// <summary>Gets or sets the key of the current call.</summary>
    public static GatewayKey? Current
    {
        get => Key.Value;
        set => Key.Value = value;
    }
}
