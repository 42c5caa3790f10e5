namespace SkFallback.Events;

/// <summary>The answer a logged call gave its caller, redacted (for a continued stream, the joined answer).</summary>
public sealed record FallbackEventResponse
{
    /// <summary>Gets the answer's text, redacted and cut at <see cref="FallbackEventOptions.MaxTextLength"/>.</summary>
    public string? Text { get; init; }

    /// <summary>Gets the parts that are not text (function calls the model asked for), when there are any.</summary>
    public IReadOnlyList<FallbackEventPart>? Parts { get; init; }

    /// <summary>Gets the finish reason: <c>stop</c>, <c>length</c>, <c>tool_calls</c>, <c>content_filter</c>.</summary>
    public string? FinishReason { get; init; }

    /// <summary>Gets the input tokens reported (or, for a continued stream, summed and estimated).</summary>
    public long? InputTokens { get; init; }

    /// <summary>Gets the output tokens reported.</summary>
    public long? OutputTokens { get; init; }
}
