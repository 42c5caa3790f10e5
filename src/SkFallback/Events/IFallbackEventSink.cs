namespace SkFallback.Events;

/// <summary>
/// Where fallback events go once redacted. Called from the event log's one background writer, never from a call: a
/// slow sink fills the queue (and events are dropped and counted), it never slows a call down.
/// </summary>
public interface IFallbackEventSink
{
    /// <summary>Writes a batch of events (in the order the calls ended).</summary>
    /// <param name="events">The events, redacted.</param>
    /// <param name="cancellationToken">Cancelled when the log is disposed past its drain timeout.</param>
    /// <returns>A task that completes when the batch is written; an exception is logged and the batch counted as lost.</returns>
    ValueTask WriteAsync(IReadOnlyList<FallbackEvent> events, CancellationToken cancellationToken);
}
