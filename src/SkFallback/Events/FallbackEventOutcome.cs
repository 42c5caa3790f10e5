using System.Text.Json.Serialization;

namespace SkFallback.Events;

/// <summary>How a logged call ended; the JSON name of each value is given by its <see cref="JsonStringEnumMemberNameAttribute"/>.</summary>
/// <remarks>
/// Every outcome but <see cref="Answered"/>, <see cref="Failed"/> and <see cref="Cancelled"/> is a fallback event, sampled at
/// <see cref="FallbackEventOptions.FallbackSampleRate"/> (every one by default); the other three at <see cref="FallbackEventOptions.SampleRate"/>.
/// </remarks>
[JsonConverter(typeof(JsonStringEnumConverter<FallbackEventOutcome>))]
public enum FallbackEventOutcome
{
    /// <summary>The first attempt answered: nothing failed, was retried, skipped or raced.</summary>
    [JsonStringEnumMemberName("answered")]
    Answered,

    /// <summary>Answered after at least one attempt failed or was retried, or a provider was skipped.</summary>
    [JsonStringEnumMemberName("fell_back")]
    FellBack,

    /// <summary>A stream broke after part of the answer reached the caller and another provider continued it.</summary>
    [JsonStringEnumMemberName("continued")]
    Continued,

    /// <summary>A hedged or parallel call: at least one racer lost (cancelled or failed) while another answered.</summary>
    [JsonStringEnumMemberName("hedged")]
    Hedged,

    /// <summary>Refused: no provider could serve the call within its budget (nothing sent), or the last answer was a refusal.</summary>
    [JsonStringEnumMemberName("refused")]
    Refused,

    /// <summary>No provider answered: every one failed, or the chain's deadline passed.</summary>
    [JsonStringEnumMemberName("exhausted")]
    Exhausted,

    /// <summary>The call failed on an error that does not fall back (a caller error, a bad request key).</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>The caller cancelled the call, or left a stream before its end.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}
