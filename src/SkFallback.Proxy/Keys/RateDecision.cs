namespace SkFallback.Proxy.Keys;

/// <summary>Whether a key's per-minute limits admit a request, and what the <c>x-ratelimit-*</c> headers say.</summary>
/// <param name="Admitted">Whether the request may go on.</param>
/// <param name="Limit">Which limit refused it (<c>requests</c> or <c>tokens</c>), when refused.</param>
/// <param name="RequestLimit">The requests-per-minute limit, if any.</param>
/// <param name="RequestsRemaining">Requests left in the window, if limited.</param>
/// <param name="TokenLimit">The tokens-per-minute limit, if any.</param>
/// <param name="TokensRemaining">Tokens left in the window, if limited.</param>
/// <param name="ResetAt">When the window restarts.</param>
internal sealed record RateDecision(bool Admitted, string? Limit, int? RequestLimit, int? RequestsRemaining, long? TokenLimit, long? TokensRemaining, DateTimeOffset ResetAt);
