namespace SkFallback.Cost;

/// <summary>What one provider attempt cost: its tokens and price, and how they were known.</summary>
/// <param name="At">When the attempt ended.</param>
/// <param name="Provider">The provider name.</param>
/// <param name="Model">The pinned model id.</param>
/// <param name="Tenant">The tenant the call was made for, if any.</param>
/// <param name="PromptTokens">The prompt tokens charged.</param>
/// <param name="OutputTokens">The output tokens charged.</param>
/// <param name="CostUsd">The cost charged, in US dollars.</param>
/// <param name="EstimatedCostUsd">The cost estimated before dispatch, when the call was estimated.</param>
/// <param name="Reported">Whether the tokens are the provider's reported usage (otherwise they are the engine's estimate of what a failed or cancelled attempt used).</param>
/// <param name="Outcome">The attempt's outcome.</param>
public sealed record SpendRecord(
    DateTimeOffset At,
    string Provider,
    string Model,
    string? Tenant,
    long PromptTokens,
    long OutputTokens,
    decimal CostUsd,
    decimal? EstimatedCostUsd,
    bool Reported,
    FailureKind Outcome);

/// <summary>Totals of spend along one dimension (a provider, a model or a tenant).</summary>
/// <param name="Attempts">The attempts charged.</param>
/// <param name="PromptTokens">The prompt tokens charged.</param>
/// <param name="OutputTokens">The output tokens charged.</param>
/// <param name="CostUsd">The cost charged, in US dollars.</param>
public readonly record struct SpendTotals(long Attempts, long PromptTokens, long OutputTokens, decimal CostUsd)
{
    internal SpendTotals Add(SpendRecord record) =>
        new(Attempts + 1, PromptTokens + record.PromptTokens, OutputTokens + record.OutputTokens, CostUsd + record.CostUsd);
}

/// <summary>A hold on part of a tenant's daily budget, taken before dispatch and settled with the actual cost.</summary>
/// <param name="Tenant">The tenant.</param>
/// <param name="Day">The UTC day the hold was taken on.</param>
/// <param name="AmountUsd">The amount held.</param>
public sealed record SpendReservation(string Tenant, DateOnly Day, decimal AmountUsd);
