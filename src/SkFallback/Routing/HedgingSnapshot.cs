namespace SkFallback.Routing;

/// <summary>What a chain's hedging has done since it was built.</summary>
/// <param name="Races">The calls that raced (hedged or parallel).</param>
/// <param name="Hedges">The extra attempts started: hedges after a delay, and the parallel candidates beyond the first.</param>
/// <param name="PrimaryCostUsd">What the races' primary attempts cost, at catalog prices.</param>
/// <param name="HedgeCostUsd">What the extra attempts cost, at catalog prices, as far as known (a cancelled hedge's cost is known once it stopped).</param>
public sealed record HedgingSnapshot(long Races, long Hedges, decimal PrimaryCostUsd, decimal HedgeCostUsd);
