using Microsoft.Extensions.Logging;

namespace SkFallback.Caching;

/// <summary>Logs a cache store's failures: a warning for the first of an outage, then at debug level until the store answers again.</summary>
internal sealed class CacheStoreHealth(ILogger logger)
{
    private int _down;

    /// <summary>Records a failed store operation.</summary>
    public void Failed(string operation, Exception e)
    {
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            CacheLog.StoreFailed(logger, operation, e.GetType().Name, e.Message);
        }
        else
        {
            CacheLog.StoreStillFailing(logger, operation, e.GetType().Name, e.Message);
        }
    }

    /// <summary>Records that the store answered; ends an outage.</summary>
    public void Answered()
    {
        if (Volatile.Read(ref _down) == 1 && Interlocked.Exchange(ref _down, 0) == 1)
        {
            CacheLog.StoreRecovered(logger);
        }
    }
}
