using SkFallback.Streaming;

namespace SkFallback.Events;

/// <summary>What the event log needs of one attempt beyond its <see cref="FallbackAttempt"/> record: its start, first content, cost, partial output and seam.</summary>
internal readonly record struct AttemptNote(
    FallbackAttempt Record,
    long Start,
    long FirstContentAt,
    decimal? Cost,
    string? Partial,
    string? ContinuedFrom,
    int? SeamOffset,
    ContinuationMode? Mode);
