namespace SkFallback.Events;

/// <summary>A part of a logged message that is not plain text: a function call, a function result, or data (named by its media type only).</summary>
public sealed record FallbackEventPart
{
    /// <summary>Gets the part's kind: <c>function_call</c>, <c>function_result</c>, <c>data</c>, <c>reasoning</c> or <c>other</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Gets the function's name (<c>function_call</c>).</summary>
    public string? Name { get; init; }

    /// <summary>Gets the call id that ties a function call to its result.</summary>
    public string? CallId { get; init; }

    /// <summary>Gets the part's text, redacted: a call's arguments as JSON, a result, reasoning text.</summary>
    public string? Text { get; init; }

    /// <summary>Gets the media type of a data part (its bytes are never logged).</summary>
    public string? MediaType { get; init; }
}
