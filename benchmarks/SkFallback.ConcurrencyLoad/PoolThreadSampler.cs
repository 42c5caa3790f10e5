namespace SkFallback.ConcurrencyLoad;

/// <summary>Samples the thread pool's thread count every 2 ms on a thread of its own (not a pool thread) and keeps the peak.</summary>
internal sealed class PoolThreadSampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stopped;
    private int _peak;

    public PoolThreadSampler()
    {
        _peak = ThreadPool.ThreadCount;
        _thread = new Thread(() =>
        {
            while (!_stopped)
            {
                var count = ThreadPool.ThreadCount;
                if (count > Volatile.Read(ref _peak))
                {
                    Volatile.Write(ref _peak, count);
                }

                Thread.Sleep(2);
            }
        }) { IsBackground = true, Name = "pool thread sampler" };
        _thread.Start();
    }

    public int Peak => Math.Max(Volatile.Read(ref _peak), ThreadPool.ThreadCount);

    public void Dispose()
    {
        _stopped = true;
        _thread.Join();
    }
}
