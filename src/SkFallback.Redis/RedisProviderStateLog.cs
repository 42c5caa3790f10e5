using Microsoft.Extensions.Logging;

namespace SkFallback.Redis;

/// <summary>The store's log messages (event ids 100–109).</summary>
internal static partial class RedisProviderStateLog
{
    [LoggerMessage(100, LogLevel.Warning, "Shared provider state: Redis is unreachable ({Reason}); breakers and cooldowns run on this replica's local state until it returns")]
    public static partial void Unreachable(ILogger logger, string reason);

    [LoggerMessage(101, LogLevel.Information, "Shared provider state: Redis is reachable again after {OutageSeconds:0.0} s; resynchronising")]
    public static partial void Restored(ILogger logger, double outageSeconds);

    [LoggerMessage(102, LogLevel.Debug, "Shared provider state: resynchronised {Count} provider record(s) from Redis")]
    public static partial void Resynchronised(ILogger logger, int count);

    [LoggerMessage(103, LogLevel.Warning, "Shared provider state: a subscriber threw while handling the change of {ProviderKey}")]
    public static partial void SubscriberFailed(ILogger logger, Exception exception, string providerKey);

    [LoggerMessage(104, LogLevel.Debug, "Shared provider state: a Redis operation failed: {Operation}")]
    public static partial void OperationFailed(ILogger logger, Exception exception, string operation);
}
