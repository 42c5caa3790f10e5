namespace SkFallback.Events;

/// <summary>One message of a logged request (or the answer), redacted.</summary>
public sealed record FallbackEventMessage
{
    /// <summary>Gets the role: <c>system</c>, <c>user</c>, <c>assistant</c>, <c>tool</c>.</summary>
    public required string Role { get; init; }

    /// <summary>Gets the message's text (its text contents joined), redacted and cut at <see cref="FallbackEventOptions.MaxTextLength"/>.</summary>
    public string? Text { get; init; }

    /// <summary>Gets the parts that are not text, when there are any.</summary>
    public IReadOnlyList<FallbackEventPart>? Parts { get; init; }
}
