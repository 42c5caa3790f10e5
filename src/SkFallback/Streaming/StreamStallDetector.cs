namespace SkFallback.Streaming;

/// <summary>
/// Cancels a stream that goes quiet: when no chunk arrived for the stall timeout, it cancels the source it was started
/// with and reports <see cref="Tripped"/> and how long the stream had been quiet (<see cref="QuietFor"/>). Marking a
/// chunk costs one field write (no clock read, no timer change, no allocation). A one-shot timer on the
/// <see cref="TimeProvider"/> checks the chunk count every <see cref="CheckPeriod"/> (5% of the timeout, at least
/// 50 ms) while chunks come, and at the deadline when they stop, so a stall is detected after the timeout and at most one
/// period late: within 5% of the timeout or 50 ms.
/// </summary>
/// <remarks>
/// One detector serves one stream at a time and may be started again after <see cref="Stop"/>, so an engine can keep
/// one per attempt slot. <see cref="OnChunk"/> must be called from one thread at a time (the stream's consumer).
/// </remarks>
internal sealed class StreamStallDetector : IDisposable
{
    /// <summary>The lateness allowed as a fraction of the timeout: one check period.</summary>
    internal const double LatenessFraction = 0.05;

    /// <summary>The lateness always allowed, however short the timeout: one check period at least.</summary>
    internal static readonly TimeSpan MinimumLateness = TimeSpan.FromMilliseconds(50);

    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly ITimer _timer;
    private CancellationTokenSource? _target;
    private TimeSpan _period;
    private int _chunks;
    private int _seenChunks;

    // The last check that saw a new chunk (or the start): no chunk has come since, and the last one came at or before it.
    private long _activeAt;
    private StallGaps? _gaps;
    private Func<TimeSpan>? _relimit;
    private volatile bool _tripped;

    /// <summary>Creates a detector; its timer is created once and idles until <see cref="Start"/>.</summary>
    /// <param name="timeProvider">The clock.</param>
    public StreamStallDetector(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _timer = timeProvider.CreateTimer(static state => ((StreamStallDetector)state!).Check(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Gets whether the last started stream was cancelled for stalling.</summary>
    public bool Tripped => _tripped;

    /// <summary>Gets the stall timeout of the current (or last) stream.</summary>
    public TimeSpan StallTimeout { get; private set; }

    /// <summary>Gets how long the stream had surely been quiet when the detector tripped: at least <see cref="StallTimeout"/>; the real gap since the last chunk is at most one <see cref="CheckPeriod"/> longer.</summary>
    public TimeSpan QuietFor { get; private set; }

    /// <summary>Gets the period between checks while chunks come: the most a detection can be late.</summary>
    public TimeSpan CheckPeriod => _period;

    /// <summary>The check period of a timeout: 5% of it, at least 50 ms, at most the timeout itself.</summary>
    public static TimeSpan PeriodFor(TimeSpan stallTimeout)
    {
        var period = TimeSpan.FromTicks(Math.Max((long)(stallTimeout.Ticks * LatenessFraction), MinimumLateness.Ticks));
        return period < stallTimeout ? period : stallTimeout;
    }

    /// <summary>Starts watching a stream; the start counts as activity.</summary>
    /// <param name="target">The source to cancel when the stream stalls (typically the attempt's).</param>
    /// <param name="stallTimeout">The longest quiet time allowed between chunks (at least one tick; infinite disables the detector).</param>
    /// <param name="gaps">Where the gaps measured are recorded (the provider's), if anywhere.</param>
    /// <param name="relimit">
    /// The provider's current stall limit, read again at every check, if it adapts: a stream started before its provider
    /// had enough samples (many streams started at once) adopts the learned limit as soon as the others teach it.
    /// </param>
    public void Start(CancellationTokenSource target, TimeSpan stallTimeout, StallGaps? gaps = null, Func<TimeSpan>? relimit = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (stallTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(stallTimeout, TimeSpan.FromTicks(1));
        }

        lock (_gate)
        {
            _target = target;
            _gaps = gaps;
            _relimit = stallTimeout == Timeout.InfiniteTimeSpan ? null : relimit;
            _tripped = false;
            _chunks = 0;
            _seenChunks = 0;
            QuietFor = TimeSpan.Zero;
            _activeAt = _timeProvider.GetTimestamp();
            StallTimeout = stallTimeout;
            _period = stallTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : PeriodFor(stallTimeout);
            _timer.Change(_period, Timeout.InfiniteTimeSpan);
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
            if (_target is not null && _gaps is not null)
            {
                // The updates since the last check: one clock read per stream, at its end.
                var chunks = Volatile.Read(ref _chunks);
                _gaps.Record(_timeProvider.GetElapsedTime(_activeAt) / Math.Max(1, chunks - _seenChunks), chunks - _seenChunks);
            }

            _target = null;
            _gaps = null;
            _relimit = null;
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

    private void Check()
    {
        CancellationTokenSource? cancel = null;
        lock (_gate)
        {
            if (_target is null || _tripped)
            {
                return;
            }

            Relimit();
            var now = _timeProvider.GetTimestamp();
            var chunks = Volatile.Read(ref _chunks);
            if (chunks != _seenChunks)
            {
                // A chunk came since the last check: the stream was alive at or before now.
                _gaps?.Record(_timeProvider.GetElapsedTime(_activeAt, now) / (chunks - _seenChunks), chunks - _seenChunks);
                _seenChunks = chunks;
                _activeAt = now;
                _timer.Change(_period, Timeout.InfiniteTimeSpan);
                return;
            }

            var quiet = _timeProvider.GetElapsedTime(_activeAt, now);
            var left = StallTimeout - quiet;
            if (left > TimeSpan.Zero)
            {
                // Quiet, not yet for the whole timeout: check again at the deadline (or sooner, a timer may fire early).
                _timer.Change(left < _period ? left : _period, Timeout.InfiniteTimeSpan);
                return;
            }

            _tripped = true;
            QuietFor = quiet;
            cancel = _target;
            _target = null;
        }

        // Cancel outside the lock: cancellation runs the stream's callbacks synchronously.
        cancel?.Cancel();
    }

    /// <summary>Takes the provider's current limit and its check period, once per check (never per chunk).</summary>
    private void Relimit()
    {
        if (_relimit?.Invoke() is { } limit && limit != StallTimeout && limit > TimeSpan.Zero && limit != Timeout.InfiniteTimeSpan)
        {
            StallTimeout = limit;
            _period = PeriodFor(limit);
        }
    }
}
