namespace SkFallback.Proxy.Wire;

/// <summary>An error the gateway answers with, before the wire (OpenAI or Anthropic) gives it its JSON shape.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Type">The OpenAI error type (<c>invalid_request_error</c>, <c>authentication_error</c>, ...); the Anthropic wire maps it.</param>
/// <param name="Code">The OpenAI error code (<c>invalid_api_key</c>, <c>model_not_found</c>, ...), if any.</param>
/// <param name="Param">The request parameter at fault, if any.</param>
/// <param name="Message">A secret-free message.</param>
internal sealed record GatewayError(int Status, string Type, string? Code, string? Param, string Message)
{
    /// <summary>Gets the attempts of an exhausted chain (secret-free), if any.</summary>
    public IReadOnlyList<FallbackAttempt>? Attempts { get; init; }

    /// <summary>Gets the seconds after which to retry (<c>Retry-After</c>), if any.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Gets extra response headers (rate-limit state), if any.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }

    /// <summary>A 400 about a request parameter.</summary>
    /// <param name="param">The parameter.</param>
    /// <param name="message">The message.</param>
    /// <param name="code">The code.</param>
    /// <returns>The error.</returns>
    public static GatewayError Invalid(string? param, string message, string? code = null) =>
        new(400, "invalid_request_error", code, param, message);
}
