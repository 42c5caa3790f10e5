namespace SkFallback.ConcurrencyLoad;

/// <summary>
/// Samples the thread pool's thread count every 2 ms on a thread of its own (not a pool thread) and keeps the peak of
/// each client while its waves run (<see cref="Current"/>).
/// </summary>
internal sealed class PoolThreadSampler : IDisposable
{
    private readonly Thread _thread;
    private readonly int[] _peaks;
    private volatile bool _stopped;
    private volatile int _current;

    public PoolThreadSampler(int clients)
    {
        _peaks = new int[clients];
        _thread = new Thread(() =>
        {
            while (!_stopped)
            {
                var count = ThreadPool.ThreadCount;
                var current = _current;
                if (count > Volatile.Read(ref _peaks[current]))
                {
                    Volatile.Write(ref _peaks[current], count);
                }

                Thread.Sleep(2);
            }
        }) { IsBackground = true, Name = "pool thread sampler" };
        _thread.Start();
    }

    /// <summary>Gets or sets the client whose waves run now.</summary>
    public int Current
    {
        get => _current;
        set => _current = value;
    }

    public int PeakOf(int client) => Volatile.Read(ref _peaks[client]);

    public void Dispose()
    {
        _stopped = true;
        _thread.Join();
    }
}
