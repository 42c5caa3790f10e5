using System.Collections.Concurrent;
using SkFallback.Events;

namespace SkFallback.Tests.Events;

/// <summary>A sink that keeps what it is given; with <see cref="Gate"/> set, each batch waits for it (a slow or stuck sink).</summary>
internal sealed class MemoryEventSink : IFallbackEventSink
{
    public ConcurrentQueue<FallbackEvent> Events { get; } = new();

    public TaskCompletionSource? Gate { get; set; }

    public async ValueTask WriteAsync(IReadOnlyList<FallbackEvent> events, CancellationToken cancellationToken)
    {
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        foreach (var fallbackEvent in events)
        {
            Events.Enqueue(fallbackEvent);
        }
    }
}
