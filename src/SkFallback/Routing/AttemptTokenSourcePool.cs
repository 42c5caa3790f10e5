namespace SkFallback.Routing;

/// <summary>
/// Reuses the cancellation sources that time attempts out, so a healthy call allocates neither a source nor its
/// timer. A source that fired is never reused.
/// </summary>
internal sealed class AttemptTokenSourcePool
{
    private readonly CancellationTokenSource?[] _slots = new CancellationTokenSource?[Environment.ProcessorCount * 2];
    private readonly TimeProvider _timeProvider;

    public AttemptTokenSourcePool(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    // One source per thread for the system clock: renting it costs no interlocked operation.
    [ThreadStatic]
    private static CancellationTokenSource? t_systemSource;

    public CancellationTokenSource Rent()
    {
        if (_timeProvider == TimeProvider.System && t_systemSource is { } cached)
        {
            t_systemSource = null;
            return cached;
        }

        for (var i = 0; i < _slots.Length; i++)
        {
            var source = Interlocked.Exchange(ref _slots[i], null);
            if (source is not null)
            {
                return source;
            }
        }

        // Infinite first: the source gets its timer from the time provider, so CancelAfter uses that clock.
        return new CancellationTokenSource(Timeout.InfiniteTimeSpan, _timeProvider);
    }

    /// <summary>Takes a source back; one whose timer was never armed and that never fired needs no reset.</summary>
    public void Return(CancellationTokenSource source, bool armed = true)
    {
        if (source.IsCancellationRequested || (armed && !source.TryReset()))
        {
            source.Dispose();
            return;
        }

        if (_timeProvider == TimeProvider.System && t_systemSource is null)
        {
            t_systemSource = source;
            return;
        }

        for (var i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _slots[i], source, null) is null)
            {
                return;
            }
        }

        source.Dispose();
    }
}
