using System.Text.Json.Nodes;

namespace SkFallback.Simulator;

/// <summary>One request the simulator received, with what it answered.</summary>
/// <param name="Sequence">1-based arrival number within the simulator (reset by <see cref="ProviderSimulator.Reset"/>).</param>
/// <param name="Timestamp">When the request arrived.</param>
/// <param name="Wire">The wire format of the request.</param>
/// <param name="Model">The requested model id (empty when the body could not be read).</param>
/// <param name="Stream">Whether the request asked for a streamed response.</param>
/// <param name="BehaviorName">The <see cref="SimulatedBehavior.Name"/> applied (or <c>unauthorized</c>, <c>context_length_exceeded</c>, <c>invalid_json</c>, or <c>rate_limited_bucket</c> when a rate-limited model's buckets refused it).</param>
/// <param name="StatusCode">The HTTP status sent; 0 while nothing was sent or when the connection was dropped before a status line.</param>
/// <param name="LastUserMessage">The text of the last user message that carries text, if any.</param>
/// <param name="MessageCount">The number of messages in the request (system prompt fields not counted).</param>
/// <param name="HasToolResults">Whether the request carries any tool result.</param>
/// <param name="Body">The request body as parsed JSON.</param>
public sealed record RecordedRequest(
    int Sequence,
    DateTimeOffset Timestamp,
    WireFormat Wire,
    string Model,
    bool Stream,
    string BehaviorName,
    int StatusCode,
    string? LastUserMessage,
    int MessageCount,
    bool HasToolResults,
    JsonNode Body)
{
    /// <summary>Gets whether (and how) the request asked to continue a partial answer.</summary>
    public ContinuationKind Continuation { get; init; }

    /// <summary>
    /// Gets whether the client went away (cancelled or closed the connection) before the simulator finished its
    /// response; a request the simulator itself dropped (<see cref="SimulatedBehavior.ConnectionReset"/>,
    /// <see cref="SimulatedBehavior.DropAfter"/>) is not counted as aborted.
    /// </summary>
    public bool Aborted { get; init; }

    /// <summary>Gets whether the simulator is done with the request (answered, broke it as scripted, or saw it aborted).</summary>
    public bool Ended { get; init; }

    /// <summary>Gets whether the heavy tail of the model's latency profile slowed this request (<see cref="LatencyProfile.SlowFraction"/>).</summary>
    public bool SlowFirstToken { get; init; }

    /// <summary>Gets the content tokens written to a streamed reply so far (0 for non-streamed replies).</summary>
    public int ContentTokensSent { get; init; }

    /// <summary>Gets the model id the response reported when the script pins one (<see cref="ModelScript.WithVersion"/>, or the version after <see cref="ModelScript.DriftAfter(int, string, IReadOnlyDictionary{string, string})"/>); <see langword="null"/> when it reported the requested id.</summary>
    public string? ReportedModel { get; init; }
}
