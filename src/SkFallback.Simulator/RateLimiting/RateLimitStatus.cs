namespace SkFallback.Simulator.RateLimiting;

/// <summary>The levels a rate-limited model reports in its response headers, taken after this request's admission.</summary>
/// <param name="Now">The time the levels were taken at (Anthropic's resets are absolute times).</param>
/// <param name="RequestsLimit">Requests per minute.</param>
/// <param name="RequestsRemaining">Whole requests left in the bucket.</param>
/// <param name="RequestsUntilFull">The wait until the requests bucket is full again.</param>
/// <param name="TokensLimit">Tokens per minute.</param>
/// <param name="TokensRemaining">Whole tokens left in the bucket.</param>
/// <param name="TokensUntilFull">The wait until the tokens bucket is full again.</param>
/// <param name="Refusal">Set when the buckets refused this request, which then consumed nothing.</param>
internal sealed record RateLimitStatus(
    DateTimeOffset Now,
    int RequestsLimit,
    int RequestsRemaining,
    TimeSpan RequestsUntilFull,
    int TokensLimit,
    int TokensRemaining,
    TimeSpan TokensUntilFull,
    RateLimitRefusal? Refusal = null);
