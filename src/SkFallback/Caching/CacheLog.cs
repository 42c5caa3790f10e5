using Microsoft.Extensions.Logging;

namespace SkFallback.Caching;

/// <summary>The response cache's log messages (source-generated).</summary>
internal static partial class CacheLog
{
    [LoggerMessage(101, LogLevel.Warning, "The response cache could not {Operation} ({ErrorType}: {Error}); the call goes to the providers without the cache")]
    public static partial void StoreFailed(ILogger logger, string operation, string errorType, string error);

    [LoggerMessage(102, LogLevel.Debug, "Cache {Layer} hit: answer of {Provider} ({Model}) from {CachedAt:O}")]
    public static partial void Hit(ILogger logger, string layer, string? provider, string? model, DateTimeOffset cachedAt);

    [LoggerMessage(103, LogLevel.Debug, "Cache guard rejected a near match (similarity {Similarity:0.000}): {Reason} differ")]
    public static partial void GuardRejected(ILogger logger, float similarity, SimilarityGuard.Rejection reason);

    [LoggerMessage(104, LogLevel.Debug, "Answer not cached: {Reason}")]
    public static partial void NotCached(ILogger logger, string reason);

    [LoggerMessage(105, LogLevel.Debug, "The response cache still cannot {Operation} ({ErrorType}: {Error}); calls go to the providers without the cache")]
    public static partial void StoreStillFailing(ILogger logger, string operation, string errorType, string error);

    [LoggerMessage(106, LogLevel.Information, "The response cache's store answers again; the cache is back in use")]
    public static partial void StoreRecovered(ILogger logger);
}
