namespace SkFallback.Events;

/// <summary>The built-in sinks of the event log (<see cref="FallbackEventOptions.Sink"/>).</summary>
public enum FallbackEventSinkKind
{
    /// <summary>JSONL files in <see cref="FallbackEventOptions.Directory"/>, rotated by size and kept by count and age.</summary>
    File,

    /// <summary>One <c>ILogger</c> entry per event (category <c>SkFallback.Events</c>, information level), the event's JSON as its <c>Event</c> value.</summary>
    Logger,

    /// <summary>An <see cref="IFallbackEventSink"/> given in code or registered in the service collection.</summary>
    Custom,
}
