namespace SkFallback.Streaming;

/// <summary>
/// Cancels a stream that goes quiet: when no chunk arrived for the stall timeout, it cancels the source it was started
/// with and reports <see cref="Tripped"/>. Marking a chunk costs one field write (no clock read, no timer change, no
/// allocation); a timer on the <see cref="TimeProvider"/> samples the chunk count every quarter of the timeout, so a
/// stall is detected between the timeout and the timeout plus a quarter.
/// </summary>
/// <remarks>
/// One detector serves one stream at a time and may be started again after <see cref="Stop"/>, so an engine can keep
/// one per attempt slot. <see cref="OnChunk"/> must be called from one thread at a time (the stream's consumer).
/// </remarks>
internal sealed class StreamStallDetector : IDisposable
{
    /// <summary>The sampling periods per timeout: detection comes at most this fraction of the timeout late.</summary>
    internal const int SamplesPerTimeout = 4;

    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly ITimer _timer;
    private CancellationTokenSource? _target;
    private TimeSpan _period;
    private int _chunks;
    private int _seenChunks;
    private int _quietSamples;
    private long _started;
    private volatile bool _tripped;

    /// <summary>Creates a detector; its timer is created once and idles until <see cref="Start"/>.</summary>
    /// <param name="timeProvider">The clock.</param>
    public StreamStallDetector(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _timer = timeProvider.CreateTimer(static state => ((StreamStallDetector)state!).Sample(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Gets whether the last started stream was cancelled for stalling.</summary>
    public bool Tripped => _tripped;

    /// <summary>Gets the stall timeout of the current (or last) stream.</summary>
    public TimeSpan StallTimeout { get; private set; }

    /// <summary>Starts watching a stream; the start counts as activity.</summary>
    /// <param name="target">The source to cancel when the stream stalls (typically the attempt's).</param>
    /// <param name="stallTimeout">The longest quiet time allowed between chunks (at least 4 ticks; infinite disables the detector).</param>
    public void Start(CancellationTokenSource target, TimeSpan stallTimeout)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (stallTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(stallTimeout, TimeSpan.FromTicks(SamplesPerTimeout));
        }

        lock (_gate)
        {
            _target = target;
            _tripped = false;
            _chunks = 0;
            _seenChunks = 0;
            _quietSamples = 0;
            _started = _timeProvider.GetTimestamp();
            StallTimeout = stallTimeout;
            _period = stallTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : stallTimeout / SamplesPerTimeout;
            _timer.Change(_period, _period);
        }
    }

    /// <summary>Marks a chunk's arrival. The hot path: one field write.</summary>
    public void OnChunk() => Volatile.Write(ref _chunks, _chunks + 1);

    /// <summary>Stops watching; the target is no longer touched.</summary>
    /// <returns>Whether the stream had been cancelled for stalling.</returns>
    public bool Stop()
    {
        lock (_gate)
        {
            _target = null;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return _tripped;
        }
    }

    /// <summary>Stops and releases the timer.</summary>
    public void Dispose()
    {
        Stop();
        _timer.Dispose();
    }

    private void Sample()
    {
        CancellationTokenSource? cancel = null;
        lock (_gate)
        {
            if (_target is null || _tripped)
            {
                return;
            }

            var chunks = Volatile.Read(ref _chunks);
            if (chunks != _seenChunks)
            {
                _seenChunks = chunks;
                _quietSamples = 0;
                return;
            }

            // Quiet for a whole timeout: the samples since the last chunk (or the start) cover it. The start is checked
            // on the clock because a timer may fire a hair early.
            if (++_quietSamples >= SamplesPerTimeout && (chunks > 0 || _timeProvider.GetElapsedTime(_started) >= StallTimeout))
            {
                _tripped = true;
                cancel = _target;
                _target = null;
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        // Cancel outside the lock: cancellation runs the stream's callbacks synchronously.
        cancel?.Cancel();
    }
}
