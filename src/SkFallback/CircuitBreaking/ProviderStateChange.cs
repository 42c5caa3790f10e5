namespace SkFallback.CircuitBreaking;

/// <summary>
/// A change of one provider's shared state, as replicas tell each other: its breaker opened or closed, or it
/// was rate limited until a time.
/// </summary>
/// <param name="ProviderKey">The provider and model, <c>{provider}/{model}</c>.</param>
/// <param name="State">The breaker's new state (<see cref="CircuitState.Open"/> or <see cref="CircuitState.Closed"/>).</param>
/// <param name="OpenUntil">When an open breaker admits its next probe; ignored when closed.</param>
/// <param name="CooldownUntil">When a rate limit ends, if this change is about one.</param>
/// <param name="Origin">The replica that made the change (so it can ignore its own echo).</param>
public sealed record ProviderStateChange(
    string ProviderKey,
    CircuitState State,
    DateTimeOffset OpenUntil,
    DateTimeOffset? CooldownUntil,
    string Origin);
