using SkFallback.Proxy.Chains;
using SkFallback.Proxy.Keys;
using SkFallback.Proxy.Quotas;

namespace SkFallback.Proxy.Dashboard;

/// <summary>Reads what the dashboard shows from the gateway's parts: the chains' health, the activity, the budgets, the last evaluation.</summary>
internal sealed class DashboardData
{
    private readonly ChainCatalog _catalog;
    private readonly IReadOnlyList<GatewayKey> _keys;
    private readonly GatewayLedger _ledger;
    private readonly IReadOnlyDictionary<string, decimal> _tenantLimits;
    private readonly string? _evalRunFile;
    private readonly TimeProvider _time;
    private (DateTime Written, EvalResult? Result) _eval;

    /// <summary>Initializes a new instance of the <see cref="DashboardData"/> class.</summary>
    /// <param name="catalog">The chains.</param>
    /// <param name="keys">The gateway keys.</param>
    /// <param name="ledger">The ledger and its quota store.</param>
    /// <param name="activity">What the gateway served recently.</param>
    /// <param name="tenantLimits">The limited tenants' daily limits.</param>
    /// <param name="evalRunFile">The last evaluation's run file, if configured.</param>
    /// <param name="time">The clock.</param>
    public DashboardData(ChainCatalog catalog, IReadOnlyList<GatewayKey> keys, GatewayLedger ledger, GatewayActivity activity, IReadOnlyDictionary<string, decimal> tenantLimits, string? evalRunFile, TimeProvider time)
    {
        _catalog = catalog;
        _keys = keys;
        _ledger = ledger;
        Activity = activity;
        _tenantLimits = tenantLimits;
        _evalRunFile = evalRunFile;
        _time = time;
    }

    /// <summary>Gets what the gateway served recently.</summary>
    public GatewayActivity Activity { get; }

    /// <summary>Reads everything at once.</summary>
    /// <returns>The view.</returns>
    public DashboardView Read()
    {
        var now = _time.GetUtcNow();
        var (_, series) = Activity.Traffic.Read(now);
        return new DashboardView(
            now,
            Activity.Recent.Calls,
            Activity.Recent.Fallbacks,
            [.. _catalog.Health()],
            series,
            Activity.Traffic.Buckets,
            DashboardSpend.Read(_keys, _tenantLimits, _ledger, now),
            Activity.Recent.Newest(),
            Eval());
    }

    /// <summary>The last evaluation, read again only when its file changed.</summary>
    private EvalResult? Eval()
    {
        if (_evalRunFile is null)
        {
            return null;
        }

        var written = File.Exists(_evalRunFile) ? File.GetLastWriteTimeUtc(_evalRunFile) : DateTime.MinValue;
        var cached = _eval;
        if (cached.Written == written && written != DateTime.MinValue)
        {
            return cached.Result;
        }

        var result = written == DateTime.MinValue ? null : EvalResult.TryRead(_evalRunFile);
        _eval = (written, result);
        return result;
    }
}
