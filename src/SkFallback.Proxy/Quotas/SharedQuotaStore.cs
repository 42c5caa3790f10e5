using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SkFallback.Proxy.Quotas;

/// <summary>
/// Quotas in Redis, with the documented choice for when Redis is away: keep serving on local holds capped at a share of
/// each limit (<see cref="Configuration.GatewayRedisOptions.OutageShare"/>), log once, and when Redis is back add what was
/// spent locally to the shared accounts before going on. While away, per-minute limits count per replica. A hold taken
/// in Redis whose settlement fails stays held there until it expires; its cost is charged locally and reconciled.
/// </summary>
internal sealed class SharedQuotaStore : IQuotaStore
{
    private readonly RedisQuotaStore _redis;
    private readonly LocalQuotaStore _outage;
    private readonly ILogger _logger;
    private readonly Lock _reconcileGate = new();
    private volatile bool _away;

    /// <summary>Initializes a new instance of the <see cref="SharedQuotaStore"/> class.</summary>
    /// <param name="redis">The shared store.</param>
    /// <param name="outageShare">The share of each limit a replica may hold and spend while Redis is away.</param>
    /// <param name="logger">Where the outage's two lines go.</param>
    public SharedQuotaStore(RedisQuotaStore redis, double outageShare, ILogger logger)
    {
        _redis = redis;
        _outage = new LocalQuotaStore(outageShare);
        _logger = logger;
    }

    /// <summary>Gets a value indicating whether quotas are held locally because Redis is away.</summary>
    public bool Away => _away;

    /// <summary>Gets the Redis store (tests read the shared accounts through it).</summary>
    public RedisQuotaStore Redis => _redis;

    /// <inheritdoc />
    public async ValueTask<RateCount> AdmitAsync(string keyId, long minute, int? requestsPerMinute, long? tokensPerMinute)
    {
        if (Shared())
        {
            try
            {
                return await _redis.AdmitAsync(keyId, minute, requestsPerMinute, tokensPerMinute).ConfigureAwait(false);
            }
            catch (Exception exception) when (IsOutage(exception))
            {
                Leave(exception);
            }
        }

        return await _outage.AdmitAsync(keyId, minute, requestsPerMinute, tokensPerMinute).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void AddTokens(string keyId, long minute, long tokens)
    {
        if (Shared())
        {
            try
            {
                _redis.AddTokens(keyId, minute, tokens);
                return;
            }
            catch (Exception exception) when (IsOutage(exception))
            {
                Leave(exception);
            }
        }

        _outage.AddTokens(keyId, minute, tokens);
    }

    /// <inheritdoc />
    public bool TryHold(QuotaAccount[] accounts, long amountNanos, DateTimeOffset now, out QuotaHold? hold)
    {
        if (Shared())
        {
            try
            {
                return _redis.TryHold(accounts, amountNanos, now, out hold);
            }
            catch (Exception exception) when (IsOutage(exception))
            {
                Leave(exception);
            }
        }

        return _outage.TryHold(accounts, amountNanos, now, out hold);
    }

    /// <inheritdoc />
    public void Settle(QuotaHold hold, long costNanos)
    {
        if (hold.Local)
        {
            _outage.Settle(hold, costNanos);
            return;
        }

        try
        {
            _redis.Settle(hold, costNanos);
        }
        catch (Exception exception) when (IsOutage(exception))
        {
            Leave(exception);
            _outage.Charge(hold.Accounts, costNanos);
        }
    }

    /// <inheritdoc />
    public void Charge(QuotaAccount[] accounts, long costNanos)
    {
        if (Shared())
        {
            try
            {
                _redis.Charge(accounts, costNanos);
                return;
            }
            catch (Exception exception) when (IsOutage(exception))
            {
                Leave(exception);
            }
        }

        _outage.Charge(accounts, costNanos);
    }

    /// <inheritdoc />
    public (long Spent, long Held) Read(QuotaAccount account)
    {
        if (_away)
        {
            var local = _outage.Read(account);
            var shared = _redis.Read(account);
            return (shared.Spent + local.Spent, shared.Held + local.Held);
        }

        return _redis.Read(account);
    }

    private static bool IsOutage(Exception exception) => exception is RedisConnectionException or RedisTimeoutException;

    /// <summary>Whether to use Redis now; comes back from an outage (reconciling first) once the connection is up again.</summary>
    private bool Shared()
    {
        if (!_away)
        {
            if (!_redis.IsConnected)
            {
                Leave(null);
                return false;
            }

            if (_outage.HasSpent)
            {
                Reconcile();
            }

            return !_away;
        }

        if (!_redis.IsConnected)
        {
            return false;
        }

        Reconcile();
        return !_away;
    }

    private void Leave(Exception? exception)
    {
        lock (_reconcileGate)
        {
            if (_away)
            {
                return;
            }

            _away = true;
        }

        QuotaLog.RedisAway(_logger, exception?.GetType().Name ?? "disconnected");
    }

    private void Reconcile()
    {
        lock (_reconcileGate)
        {
            var spent = _outage.TakeSpent();
            var done = 0;
            try
            {
                for (; done < spent.Count; done++)
                {
                    _redis.Reconcile(spent[done].Account, spent[done].SpentNanos, spent[done].Lifetime);
                }
            }
            catch (Exception exception) when (IsOutage(exception))
            {
                _outage.Restore(spent[done..]);
                _away = true;
                return;
            }

            if (_away)
            {
                _away = false;
                QuotaLog.RedisBack(_logger, spent.Count);
            }
        }
    }
}
