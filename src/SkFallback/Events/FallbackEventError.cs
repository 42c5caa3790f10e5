namespace SkFallback.Events;

/// <summary>How a logged call that got no answer failed, redacted.</summary>
public sealed record FallbackEventError
{
    /// <summary>Gets the exception's type name, for example <c>FallbackExhaustedException</c>.</summary>
    public required string Type { get; init; }

    /// <summary>Gets the exception's message, redacted and cut at <see cref="FallbackEventOptions.MaxTextLength"/>.</summary>
    public string? Message { get; init; }

    /// <summary>Gets a value indicating whether part of a streamed answer had reached the caller before it failed.</summary>
    public bool OutputCommitted { get; init; }
}
