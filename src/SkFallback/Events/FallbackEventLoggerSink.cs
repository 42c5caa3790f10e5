using Microsoft.Extensions.Logging;

namespace SkFallback.Events;

/// <summary>Writes each event as one information entry of category <see cref="CategoryName"/>, its JSON line as the <c>Event</c> value.</summary>
public sealed partial class FallbackEventLoggerSink : IFallbackEventSink
{
    /// <summary>The logger category.</summary>
    public const string CategoryName = "SkFallback.Events";

    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="FallbackEventLoggerSink"/> class.</summary>
    /// <param name="loggerFactory">Where the entries go.</param>
    public FallbackEventLoggerSink(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = loggerFactory.CreateLogger(CategoryName);
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(IReadOnlyList<FallbackEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            return ValueTask.CompletedTask;
        }

        foreach (var fallbackEvent in events)
        {
            var json = FallbackEventJson.Serialize(fallbackEvent);
            Logged(_logger, fallbackEvent.Outcome, fallbackEvent.Id, json);
        }

        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Fallback event {Outcome} {CallId}: {Event}")]
    private static partial void Logged(ILogger logger, FallbackEventOutcome outcome, string callId, string @event);
}
