namespace SkFallback.Events;

/// <summary>
/// One logged call: the whole request and response pair, redacted, with every attempt. Written as one JSON object per
/// line (<see cref="FallbackEventJson"/>); the field names and versions are documented in <c>docs/fallback-events.md</c>.
/// </summary>
public sealed record FallbackEvent
{
    /// <summary>The version of the format this library writes (<see cref="Version"/>).</summary>
    public const int CurrentVersion = 1;

    /// <summary>Gets the format version the event was written in (JSON <c>v</c>); readers ignore fields they do not know.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("v")]
    public int Version { get; init; } = CurrentVersion;

    /// <summary>Gets the call's id: 32 hex digits, ordered by time (a version 7 UUID).</summary>
    public required string Id { get; init; }

    /// <summary>Gets when the call started (UTC).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>Gets how long the call took, in milliseconds, every attempt and delay included.</summary>
    public double DurationMs { get; init; }

    /// <summary>Gets how the call ended.</summary>
    public FallbackEventOutcome Outcome { get; init; }

    /// <summary>Gets the sampling rate that selected the event (1 for every such call): each logged event stands for 1/rate calls.</summary>
    public double SampleRate { get; init; }

    /// <summary>Gets the tenant the call was made for (<see cref="FallbackMetadataKeys.Tenant"/>), when it named one.</summary>
    public string? Tenant { get; init; }

    /// <summary>Gets the labels the caller attached (<see cref="FallbackMetadataKeys.EventLabels"/>; the gateway sets <see cref="FallbackEventLabels"/>).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Gets a value indicating whether the call was streamed.</summary>
    public bool Streaming { get; init; }

    /// <summary>Gets the provider that answered, when one did.</summary>
    public string? Provider { get; init; }

    /// <summary>Gets the model that answered, when one did.</summary>
    public string? Model { get; init; }

    /// <summary>Gets what the whole call was charged, in US dollars (losers of a race included when they were charged before the event).</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Gets the request's messages, redacted.</summary>
    public IReadOnlyList<FallbackEventMessage> Request { get; init; } = [];

    /// <summary>Gets the answer, redacted, when there was one (a stream's answer is kept when <c>Streaming:ContinueAfterCommit</c> is on, the default).</summary>
    public FallbackEventResponse? Response { get; init; }

    /// <summary>Gets how the call failed, when it got no answer.</summary>
    public FallbackEventError? Error { get; init; }

    /// <summary>Gets every attempt and skip of the call, in order.</summary>
    public IReadOnlyList<FallbackEventAttempt> Attempts { get; init; } = [];

    /// <summary>Gets how many spans redaction replaced in this event (keys, e-mail addresses, phone and card numbers, custom).</summary>
    public int Redactions { get; init; }
}
