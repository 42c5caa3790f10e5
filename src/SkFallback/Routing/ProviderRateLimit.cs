namespace SkFallback.Routing;

/// <summary>
/// What a provider last said about its rate-limit window (<c>x-ratelimit-*</c> on OpenAI-compatible APIs,
/// <c>anthropic-ratelimit-*</c> on Anthropic): tokens and requests left, and when each resets.
/// </summary>
internal sealed class ProviderRateLimit
{
    private readonly object _gate = new();
    private volatile bool _known;

    public long? RemainingTokens { get; private set; }

    public DateTimeOffset? ResetAt { get; private set; }

    public long? RemainingRequests { get; private set; }

    public DateTimeOffset? RequestsResetAt { get; private set; }

    /// <summary>Gets a value indicating whether the provider ever sent rate-limit headers (so the healthy path can skip the check).</summary>
    public bool Known => _known;

    public void Update(long? remainingTokens, DateTimeOffset? tokensResetAt, long? remainingRequests, DateTimeOffset? requestsResetAt)
    {
        if (remainingTokens is null && remainingRequests is null)
        {
            return;
        }

        lock (_gate)
        {
            RemainingTokens = remainingTokens ?? RemainingTokens;
            ResetAt = tokensResetAt ?? ResetAt;
            RemainingRequests = remainingRequests ?? RemainingRequests;
            RequestsResetAt = requestsResetAt ?? RequestsResetAt;
        }

        _known = true;
    }

    /// <summary>Whether a request of about <paramref name="estimatedTokens"/> would exceed what is left before the window resets.</summary>
    public bool WouldExceed(long estimatedTokens, DateTimeOffset now, out string reason)
    {
        lock (_gate)
        {
            if (RemainingRequests is <= 0 && RequestsResetAt is { } requestsReset && requestsReset > now)
            {
                reason = $"no requests left until {requestsReset:HH:mm:ss.fff}";
                return true;
            }

            if (RemainingTokens is { } tokens && tokens < estimatedTokens && ResetAt is { } reset && reset > now)
            {
                reason = $"{tokens} tokens left until {reset:HH:mm:ss.fff}; the request needs about {estimatedTokens}";
                return true;
            }
        }

        reason = string.Empty;
        return false;
    }
}
