using Microsoft.Extensions.Logging;
using SkFallback.Proxy.Configuration;
using StackExchange.Redis;

namespace SkFallback.Proxy.Quotas;

/// <summary>Chooses the gateway's quota store from <c>SkFallback:Proxy:Redis</c>.</summary>
internal static class QuotaStores
{
    /// <summary>The thread pool's worker floor while quotas live in Redis.</summary>
    public const int MinWorkerThreads = 256;

    /// <summary>Makes the store: Redis (with the outage fallback) when configured, else in process.</summary>
    /// <param name="options">The Redis options.</param>
    /// <param name="logger">Where the outage lines go.</param>
    /// <returns>The store, and the Redis connection to dispose with the gateway (none in process).</returns>
    public static (IQuotaStore Store, IConnectionMultiplexer? Connection) Create(GatewayRedisOptions options, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            return (new LocalQuotaStore(), null);
        }

        var configuration = ConfigurationOptions.Parse(options.Configuration);

        // Start even when Redis is down (quotas then run on the outage share); a dropped connection fails commands at
        // once, so only a hung Redis waits out the (default 5 s) command timeout.
        configuration.AbortOnConnectFail = false;
        if (!options.Configuration.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase))
        {
            configuration.ConnectTimeout = 2000;
        }

        // The engine holds and settles budgets synchronously (its ISpendLedger seam is not async), so a burst of budgeted
        // calls blocks that many threads for a Redis round trip each; without enough threads at hand the pool that
        // delivers the replies starves (200 concurrent calls on 2 cores stalled for 15 s). Keep a floor of threads.
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < MinWorkerThreads)
        {
            ThreadPool.SetMinThreads(MinWorkerThreads, io);
        }

        var connection = ConnectionMultiplexer.Connect(configuration);
        var redis = new RedisQuotaStore(connection, options.KeyPrefix, options.HoldTimeout);
        return (new SharedQuotaStore(redis, options.OutageShare, logger), connection);
    }
}
