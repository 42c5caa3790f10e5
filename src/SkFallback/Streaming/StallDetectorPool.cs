using System.Collections.Concurrent;

namespace SkFallback.Streaming;

/// <summary>Reuses a chain's stall detectors (each owns a timer): a stream rents one when it first waits after content.</summary>
internal sealed class StallDetectorPool(TimeProvider timeProvider) : IDisposable
{
    private const int MaxIdle = 64;
    private readonly ConcurrentBag<StreamStallDetector> _idle = [];

    public StreamStallDetector Rent() => _idle.TryTake(out var detector) ? detector : new StreamStallDetector(timeProvider);

    public void Return(StreamStallDetector detector)
    {
        if (_idle.Count < MaxIdle)
        {
            _idle.Add(detector);
        }
        else
        {
            detector.Dispose();
        }
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var detector))
        {
            detector.Dispose();
        }
    }
}
