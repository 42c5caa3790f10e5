using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using SkFallback.CircuitBreaking;
using SkFallback.Diagnostics;

namespace ConsoleAgent;

/// <summary>
/// Collects circuit breaker transitions as they happen, from SkFallback's OpenTelemetry counter
/// (<see cref="FallbackTelemetry.BreakerTransitionsInstrument"/>), so a turn can show the half-open step too.
/// </summary>
internal sealed class BreakerTransitionListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<BreakerTransition> _transitions = new();

    public BreakerTransitionListener()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == FallbackTelemetry.SourceName && instrument.Name == FallbackTelemetry.BreakerTransitionsInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnTransition);
        _listener.Start();
    }

    /// <summary>Takes the transitions recorded since the last call, oldest first.</summary>
    public IReadOnlyList<BreakerTransition> Drain()
    {
        var drained = new List<BreakerTransition>();
        while (_transitions.TryDequeue(out var transition))
        {
            drained.Add(transition);
        }

        return drained;
    }

    public void Dispose() => _listener.Dispose();

    private void OnTransition(Instrument instrument, long measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? key = null;
        CircuitState? from = null, to = null;
        foreach (var (name, value) in tags)
        {
            switch (name)
            {
                case FallbackTelemetry.ProviderTag:
                    key = value as string;
                    break;
                case FallbackTelemetry.FromStateTag when Enum.TryParse<CircuitState>(value as string, out var parsed):
                    from = parsed;
                    break;
                case FallbackTelemetry.ToStateTag when Enum.TryParse<CircuitState>(value as string, out var parsed):
                    to = parsed;
                    break;
            }
        }

        if (key is not null && from is { } left && to is { } entered)
        {
            _transitions.Enqueue(new BreakerTransition(key, left, entered, DateTimeOffset.UtcNow));
        }
    }
}
