using System.Text.Json.Serialization;

namespace SkFallback.Events;

/// <summary>One attempt (or skip) of a logged call: who was asked, how it ended, when and at what cost, and what it wrote.</summary>
public sealed record FallbackEventAttempt
{
    /// <summary>Gets the configured provider name (<c>(chain)</c> for the chain's own deadline entry).</summary>
    public required string Provider { get; init; }

    /// <summary>Gets the pinned model id the provider was asked for.</summary>
    public required string Model { get; init; }

    /// <summary>Gets how the attempt ended: <see cref="FailureKind.None"/> for the one that answered, otherwise why it did not (the enum's name).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<FailureKind>))]
    public FailureKind Reason { get; init; }

    /// <summary>Gets the HTTP status the provider answered with, when there was one.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Gets 0 for a provider's first try within the call, 1 for its first retry, and so on.</summary>
    public int Retry { get; init; }

    /// <summary>Gets a value indicating whether the provider was passed over without a request (cooling down, breaker open, budget, context window).</summary>
    public bool Skipped { get; init; }

    /// <summary>Gets when the attempt started, in milliseconds from the call's start (absent when not measured, as for skips).</summary>
    public double? StartMs { get; init; }

    /// <summary>Gets how long the attempt took, in milliseconds.</summary>
    public double ElapsedMs { get; init; }

    /// <summary>Gets the time from the attempt's start to its first content, in milliseconds (streams only).</summary>
    public double? FirstChunkMs { get; init; }

    /// <summary>Gets what the attempt was charged, in US dollars, when it was charged.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Gets the secret-free description of the failure (exception type and provider message), redacted again.</summary>
    public string? Detail { get; init; }

    /// <summary>Gets the text the provider wrote before it failed, redacted: what the caller received of it once committed, the held updates before commit.</summary>
    public string? PartialOutput { get; init; }

    /// <summary>Gets, for an attempt that continued a broken stream, the provider whose part it continued.</summary>
    public string? ContinuedFrom { get; init; }

    /// <summary>Gets, for an attempt that continued a broken stream, the seam: how many characters of the answer the caller had received when it started.</summary>
    public int? SeamOffset { get; init; }

    /// <summary>Gets, for an attempt that continued a broken stream, how it was asked: <c>Prefill</c>, <c>Prefix</c> or <c>Instructed</c>.</summary>
    public string? ContinuationMode { get; init; }
}
