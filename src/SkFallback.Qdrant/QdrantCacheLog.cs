using Microsoft.Extensions.Logging;

namespace SkFallback.Qdrant;

/// <summary>The Qdrant cache store's log messages (event ids 200–209). None carries the API key.</summary>
internal static partial class QdrantCacheLog
{
    [LoggerMessage(200, LogLevel.Warning, "Response cache: Qdrant at {Endpoint} is unavailable ({Reason}); cache calls fail at once for {BackoffSeconds:0.#} s at a time, and the cache is bypassed, until it answers again")]
    public static partial void Unavailable(ILogger logger, string endpoint, string reason, double backoffSeconds);

    [LoggerMessage(201, LogLevel.Information, "Response cache: Qdrant at {Endpoint} answers again after {OutageSeconds:0.0} s")]
    public static partial void Restored(ILogger logger, string endpoint, double outageSeconds);

    [LoggerMessage(202, LogLevel.Information, "Response cache: created Qdrant collection {Collection} ({Dimensions} dimensions, cosine)")]
    public static partial void CollectionCreated(ILogger logger, string collection, int dimensions);

    [LoggerMessage(203, LogLevel.Debug, "Response cache: Qdrant {Operation} failed again while unavailable ({Reason})")]
    public static partial void StillUnavailable(ILogger logger, string operation, string reason);

    [LoggerMessage(204, LogLevel.Debug, "Response cache: removed {Count} expired entries from Qdrant")]
    public static partial void ExpiredRemoved(ILogger logger, int count);

    [LoggerMessage(205, LogLevel.Warning, "Response cache: the Qdrant cleanup failed ({ErrorType}: {Error}); it runs again in {IntervalSeconds:0} s")]
    public static partial void CleanupFailed(ILogger logger, string errorType, string error, double intervalSeconds);
}
