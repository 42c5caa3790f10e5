using StackExchange.Redis;

namespace SkFallback.Redis;

/// <summary>A half-open probe lease in Redis: the first replica to set the key holds it for the lease.</summary>
internal static class ProbeLease
{
    /// <summary>Asks Redis for the lease, waiting at most <paramref name="timeout"/>: too slow an answer grants the probe locally.</summary>
    public static bool TryAcquire(IDatabase database, RedisKey key, string replicaId, TimeSpan lease, TimeSpan timeout)
    {
        var task = database.StringSetAsync(key, replicaId, lease, When.NotExists);
        if (task.Wait(timeout))
        {
            return task.Result;
        }

        // Too slow: grant the probe locally, and observe the late result so a fault is not left unobserved.
        _ = task.ContinueWith(
            static t => _ = t.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return true;
    }
}
