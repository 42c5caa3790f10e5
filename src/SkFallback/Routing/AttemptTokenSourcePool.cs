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

    public CancellationTokenSource Rent()
    {
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

    public void Return(CancellationTokenSource source)
    {
        if (!source.TryReset())
        {
            source.Dispose();
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
