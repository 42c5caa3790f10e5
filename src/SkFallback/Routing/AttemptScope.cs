using SkFallback.Providers;

namespace SkFallback.Routing;

/// <summary>What one attempt holds while it runs: its start, its timeout source, the caller link, the HTTP observation, whether the chain's deadline had passed before it began, and whether it is its breaker's probe.</summary>
internal readonly record struct AttemptScope(long Start, CancellationTokenSource Source, CancellationTokenRegistration Registration, HttpExchange? Exchange, bool DeadlinePassed, ChainProvider Provider, bool Probe);
