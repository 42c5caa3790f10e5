using SkFallback.Health;

namespace ConsoleAgent;

/// <summary>A wait before a scripted turn, until a moment read from the providers' health (a cooldown or a break ending).</summary>
/// <param name="Reason">What the wait is for, as shown.</param>
/// <param name="Until">When the wait ends, from the health snapshot; <see langword="null"/> when there is nothing to wait for.</param>
internal sealed record TurnPause(string Reason, Func<IReadOnlyList<ProviderHealthSnapshot>, DateTimeOffset?> Until);
