using SkFallback.CircuitBreaking;

namespace ConsoleAgent;

/// <summary>One circuit breaker transition, as the chain reported it on its <c>skfallback.breaker.transitions</c> counter.</summary>
/// <param name="ProviderKey">The breaker's key, <c>{provider}/{model}</c>.</param>
/// <param name="From">The state left.</param>
/// <param name="To">The state entered.</param>
/// <param name="At">When it happened.</param>
internal sealed record BreakerTransition(string ProviderKey, CircuitState From, CircuitState To, DateTimeOffset At);
