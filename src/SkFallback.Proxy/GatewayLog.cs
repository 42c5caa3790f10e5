using Microsoft.Extensions.Logging;

namespace SkFallback.Proxy;

/// <summary>The gateway's log messages (source-generated; never a key, a body or an endpoint).</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled {ExceptionType} while serving {Path}")]
    public static partial void Unhandled(ILogger logger, string path, string exceptionType);
}
