using Microsoft.Extensions.Logging;
using SkFallback.Engine;
using SkFallback.Routing;

namespace SkFallback.Cost;

/// <summary>
/// All charging of one chain: holds a tenant's budget for an attempt before it is sent, charges each attempt what it
/// used (reported usage, else the prompt estimate plus what it delivered), and teaches the estimator and the provider's
/// <see cref="OutputBilling"/> from reported usage.
/// </summary>
internal sealed class CostMeter
{
    private readonly ISpendLedger _ledger;
    private readonly TokenEstimator _tokens;
    private readonly TimeProvider _timeProvider;
    private readonly double _reserveMargin;
    private readonly ILogger _logger;

    public CostMeter(ISpendLedger ledger, TokenEstimator tokens, TimeProvider timeProvider, double reserveMargin, ILogger logger)
    {
        _logger = logger;
        _ledger = ledger;
        _tokens = tokens;
        _timeProvider = timeProvider;
        _reserveMargin = reserveMargin;
    }

    public ISpendLedger Ledger => _ledger;

    /// <summary>
    /// Holds the tenant's budget for one attempt at <paramref name="provider"/>: <see langword="true"/> (with the
    /// reservation, none without a tenant limit) when it fits; otherwise <paramref name="refusal"/> says why.
    /// </summary>
    public bool TryReserve(CallState call, ChainProvider provider, out SpendReservation? reservation, out string? refusal)
    {
        reservation = null;
        refusal = null;
        if (call.Plan is not { TenantLimit: { } limit, Routing: { } request } plan)
        {
            return true;
        }

        var bound = request.UpperBoundUsd(provider.Candidate, _reserveMargin);
        if (bound is { } amount && _ledger.TryReserve(plan.Tenant!, limit, amount, out reservation))
        {
            return true;
        }

        var (used, held) = _ledger.TenantToday(plan.Tenant!);
        refusal = bound is null
            ? "no catalog price, so its cost cannot be held against the tenant's budget"
            : $"could cost up to {bound:0.######} USD; tenant '{plan.Tenant}' has {Math.Max(0m, limit - used - held):0.######} USD left today";
        return false;
    }

    /// <summary>
    /// Charges one attempt what it used, once: the reported usage when there is one; otherwise, for an attempt that
    /// reached a model without an HTTP error (a timeout, a dropped or truncated stream, a cancelled call), the prompt
    /// estimate plus the updates delivered (about one token each). Errors with an HTTP status are not billed by
    /// providers. Returns what was charged.
    /// </summary>
    public decimal Charge(CallState call, Attempt attempt, FailureKind outcome, int? statusCode, long deliveredChunks)
    {
        if (attempt.Charged)
        {
            return 0m;
        }

        attempt.Charged = true;
        var provider = attempt.Provider;
        var usage = attempt.Usage;
        attempt.Usage = null;
        var reservation = attempt.Reservation;
        attempt.Reservation = null;
        attempt.PricedCost = null;

        // The estimate as the budget saw it, taken before this answer teaches the estimator anything.
        var request = call.Routing;
        attempt.Estimate = request?.EstimateCostUsd(provider.Candidate);

        long prompt;
        long output;
        long cached = 0;
        var reported = usage?.InputTokenCount is not null;
        if (reported)
        {
            prompt = usage!.InputTokenCount!.Value;
            output = usage.OutputTokenCount ?? 0;
            cached = Math.Min(prompt, usage.CachedInputTokenCount ?? 0);
            if (request is not null && outcome == FailureKind.None)
            {
                _tokens.Observe(provider.Model, request.PromptTokens(provider.Candidate), prompt, usage.OutputTokenCount);
            }

            // Billed past the allowance the hold covered: later holds for this provider/model cover it (any outcome is billed).
            if (request is not null && output > 0 && provider.Price is { } billed && provider.OutputBilling is { } billing)
            {
                var allowance = RoutingRequest.OutputAllowance(request.Options, billed);
                if (billing.Observe(output, allowance))
                {
                    Diagnostics.Log.OutputOverbilled(_logger, provider.Name, provider.Model, output, allowance, billing.Factor);
                }
            }
        }
        else if (request is not null && Billable(outcome, statusCode, deliveredChunks))
        {
            prompt = request.PromptTokens(provider.Candidate);
            output = deliveredChunks;
        }
        else
        {
            if (reservation is not null)
            {
                _ledger.Release(reservation);
            }

            return 0m;
        }

        var cost = provider.Price is { } price ? price.InputCost(prompt, cached) + price.OutputCost(output) : 0m;
        _ledger.Record(new SpendRecord(_timeProvider.GetUtcNow(), provider.Name, provider.Model, call.Plan?.Tenant, prompt, output, cost, attempt.Estimate, reported, outcome), reservation);
        call.Plan?.Turn?.Charge(cost);
        attempt.Cost += cost;
        if (provider.Price is not null)
        {
            attempt.PricedCost = cost;
        }

        return cost;
    }

    /// <summary>Whether an attempt without reported usage is likely to have been billed.</summary>
    public static bool Billable(FailureKind outcome, int? statusCode, long deliveredChunks) => outcome switch
    {
        FailureKind.None or FailureKind.Timeout or FailureKind.Stalled or FailureKind.FirstTokenTimeout or FailureKind.TruncatedStream
            or FailureKind.MalformedResponse or FailureKind.Refusal or FailureKind.Cancelled => statusCode is null or 200,
        FailureKind.ConnectionFailure => deliveredChunks > 0,
        _ => false,
    };

    /// <summary>Writes what the attempt cost, and what it was estimated to cost, into an answer's metadata.</summary>
    public static void Annotate(Microsoft.Extensions.AI.AdditionalPropertiesDictionary properties, Attempt attempt)
    {
        if (attempt.PricedCost is { } cost)
        {
            properties[FallbackMetadataKeys.CostUsd] = cost;
        }

        if (attempt.Estimate is { } estimate)
        {
            properties[FallbackMetadataKeys.EstimatedCostUsd] = estimate;
        }
    }
}
