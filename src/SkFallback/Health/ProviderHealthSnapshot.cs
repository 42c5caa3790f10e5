using SkFallback.CircuitBreaking;

namespace SkFallback.Health;

/// <summary>One provider's health at a moment, over its most recent attempts (<see cref="ProviderHealthWindow.Capacity"/> of them).</summary>
/// <param name="Provider">The provider name.</param>
/// <param name="Model">The pinned model.</param>
/// <param name="Circuit">The breaker's state (<see cref="CircuitState.Closed"/> when breakers are off).</param>
/// <param name="ConsecutiveFailures">Counted failures since the last success.</param>
/// <param name="OpenUntil">When an open breaker admits its probe; <see langword="null"/> unless open.</param>
/// <param name="CoolingDownUntil">When a rate limit ends; <see langword="null"/> unless cooling down.</param>
/// <param name="Attempts">How many attempts the window holds.</param>
/// <param name="ErrorRate">The share of those attempts that failed (0–1).</param>
/// <param name="LatencyP50">Median attempt duration.</param>
/// <param name="LatencyP95">95th-percentile attempt duration.</param>
/// <param name="TimeToFirstTokenP50">Median time to first content of streaming attempts.</param>
/// <param name="LastFailure">The most recent failure, if any.</param>
/// <param name="LastFailureAt">When it happened.</param>
/// <param name="RemainingTokens">Tokens the provider last said remain in its rate-limit window, if it says.</param>
/// <param name="RateLimitResetAt">When that window resets.</param>
public sealed record ProviderHealthSnapshot(
    string Provider,
    string Model,
    CircuitState Circuit,
    int ConsecutiveFailures,
    DateTimeOffset? OpenUntil,
    DateTimeOffset? CoolingDownUntil,
    int Attempts,
    double ErrorRate,
    TimeSpan? LatencyP50,
    TimeSpan? LatencyP95,
    TimeSpan? TimeToFirstTokenP50,
    FailureKind? LastFailure,
    DateTimeOffset? LastFailureAt,
    long? RemainingTokens,
    DateTimeOffset? RateLimitResetAt);
