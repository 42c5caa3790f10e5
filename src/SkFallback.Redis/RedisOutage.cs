using Microsoft.Extensions.Logging;

namespace SkFallback.Redis;

/// <summary>Whether Redis is unreachable from this replica: one warning when an outage starts, one message with its length when it ends.</summary>
internal sealed class RedisOutage(TimeProvider time, ILogger logger)
{
    private int _active;
    private long _startedTimestamp;
    private long _signals;

    /// <summary>Gets a value indicating whether an outage is under way.</summary>
    public bool IsActive => Volatile.Read(ref _active) != 0;

    /// <summary>Gets how many times an operation or the connection reported Redis unreachable.</summary>
    public long Signals => Interlocked.Read(ref _signals);

    /// <summary>Records that Redis was found unreachable; starts (and logs) an outage unless one is under way or the store is disposed.</summary>
    public void Enter(string reason, bool disposed)
    {
        Interlocked.Increment(ref _signals);
        if (!disposed && Interlocked.CompareExchange(ref _active, 1, 0) == 0)
        {
            Interlocked.Exchange(ref _startedTimestamp, time.GetTimestamp());
            RedisProviderStateLog.Unreachable(logger, reason);
        }
    }

    /// <summary>Ends the outage under way, if any, logging how long it lasted.</summary>
    public void Leave()
    {
        if (Interlocked.CompareExchange(ref _active, 0, 1) == 1)
        {
            var outage = time.GetElapsedTime(Interlocked.Read(ref _startedTimestamp));
            RedisProviderStateLog.Restored(logger, outage.TotalSeconds);
        }
    }
}
