using SkFallback.Providers;

namespace SkFallback.Routing;

/// <summary>What one attempt holds while it runs: its start, its timeout source, the caller link, the HTTP observation, and whether the chain's deadline had passed before it began.</summary>
internal readonly record struct AttemptScope(long Start, CancellationTokenSource Source, CancellationTokenRegistration Registration, HttpExchange? Exchange, bool DeadlinePassed);
