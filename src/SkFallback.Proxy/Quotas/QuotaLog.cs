using Microsoft.Extensions.Logging;

namespace SkFallback.Proxy.Quotas;

/// <summary>The quota store's log lines: one when Redis goes away, one when it is back (never a key or an address).</summary>
internal static partial class QuotaLog
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Redis is unreachable ({Reason}): gateway quotas are held locally, each limit capped at the configured outage share, until it is back")]
    public static partial void RedisAway(ILogger logger, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Redis is back: {Accounts} accounts' local spend added to the shared quotas")]
    public static partial void RedisBack(ILogger logger, int accounts);
}
