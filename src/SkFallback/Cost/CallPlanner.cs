using Microsoft.Extensions.AI;
using SkFallback.Engine;
using SkFallback.Routing;

namespace SkFallback.Cost;

/// <summary>
/// Prepares a call before dispatch: runs the routing policy, sets the call's and the tenant's budgets, refuses a call
/// no candidate can pay for, and removes every SkFallback key from the options so none reaches a provider. A plain
/// call (ordered policy, no budget, no request keys) is left alone.
/// </summary>
internal sealed class CallPlanner
{
    private readonly Dictionary<string, IRoutingPolicy> _policies;
    private readonly RoutingCandidate[] _candidates;
    private readonly RoutingOptions _routing;
    private readonly BudgetOptions _budget;
    private readonly TokenEstimator _tokens;
    private readonly ISpendLedger _ledger;
    private readonly AttemptRecorder _recorder;
    private readonly ChainFailures _failures;

    // Races need the request's estimates: to hold a hedge's cost and to charge the losers.
    private readonly bool _routed;

    public CallPlanner(Dictionary<string, IRoutingPolicy> policies, IRoutingPolicy policy, RoutingCandidate[] candidates, RoutingOptions routing, BudgetOptions budget, TokenEstimator tokens, ISpendLedger ledger, AttemptRecorder recorder, ChainFailures failures)
    {
        _policies = policies;
        Policy = policy;
        _candidates = candidates;
        _routing = routing;
        _budget = budget;
        _tokens = tokens;
        _ledger = ledger;
        _recorder = recorder;
        _failures = failures;
        _routed = policy is not OrderedRoutingPolicy || budget.Any || routing.Hedging.Mode != HedgingMode.None;
    }

    /// <summary>Gets the routing policy the chain uses when a request does not name one.</summary>
    public IRoutingPolicy Policy { get; }

    public IEnumerable<string> PolicyNames => _policies.Keys;

    public RoutingCandidate[] Candidates => _candidates;

    public BudgetOptions Budget => _budget;

    public bool TryGetPolicy(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IRoutingPolicy? policy) => _policies.TryGetValue(name, out policy);

    /// <summary>The request as routing sees it, made once per call.</summary>
    public RoutingRequest RequestOf(CallState call)
    {
        var plan = call.EnsurePlan();
        return plan.Routing ??= new RoutingRequest(call.Messages, call.Options, _tokens, _routing, _candidates.Length);
    }

    /// <summary>Plans the call (see the type's summary); sets <see cref="CallState.Options"/> to what providers see.</summary>
    public void Plan(CallState call, in CallSettings settings, ChatOptions? options)
    {
        call.Options = options;
        if (!_routed && !settings.HasKeys)
        {
            return;
        }

        var policy = settings.Policy ?? Policy;
        var request = new RoutingRequest(call.Messages, options, _tokens, _routing, _candidates.Length);
        var plan = call.EnsurePlan();
        plan.Routing = request;
        plan.Turn = settings.Turn;
        plan.Tenant = request.Tenant;
        plan.TenantLimit = _budget.DailyLimitOf(request.Tenant);
        SetMaxCost(plan, request);

        if (policy is not OrderedRoutingPolicy)
        {
            var route = policy.Route(request, _candidates);
            plan.Route = route;
            RecordExclusions(call, request, route, policy);
        }

        if (plan.Turn is { } turn)
        {
            turn.CheapestCallUsd = CheapestEstimate(plan, request);
        }

        if (plan.MaxCost is not null || plan.TenantLimit is not null)
        {
            RefuseIfUnaffordable(call, plan, request);
        }

        if (settings.HasKeys)
        {
            call.Options = WithoutOwnKeys(options!);
        }
    }

    private void SetMaxCost(CallPlan plan, RoutingRequest request)
    {
        decimal? maxCost = _budget.MaxCostPerCall;
        if (request.MaxCostUsd is { } asked && (maxCost is null || asked < maxCost))
        {
            maxCost = asked;
        }

        plan.MaxCostScope = BudgetScope.Call;
        if (plan.Turn is { } turn && (maxCost is null || turn.RemainingUsd < maxCost))
        {
            maxCost = turn.RemainingUsd;
            plan.MaxCostScope = BudgetScope.Turn;
        }

        plan.MaxCost = maxCost;
        request.MaxCostUsd = maxCost;
    }

    private static ChatOptions WithoutOwnKeys(ChatOptions options)
    {
        var copy = options.Clone();
        var properties = new AdditionalPropertiesDictionary(copy.AdditionalProperties!);
        foreach (var key in copy.AdditionalProperties!.Keys)
        {
            if (key.StartsWith(FallbackMetadataKeys.Prefix, StringComparison.Ordinal))
            {
                properties.Remove(key);
            }
        }

        copy.AdditionalProperties = properties;
        return copy;
    }

    private RoutingCandidate CandidateAt(CallPlan plan, int i) => _candidates[plan.Route?[i] ?? i];

    private int CandidateCount(CallPlan plan) => plan.Route?.Count ?? _candidates.Length;

    /// <summary>The lowest estimated cost among the routed candidates (a lower bound for the turn's next round trip).</summary>
    private decimal? CheapestEstimate(CallPlan plan, RoutingRequest request)
    {
        decimal? cheapest = null;
        var count = CandidateCount(plan);
        for (var i = 0; i < count; i++)
        {
            if (request.EstimateCostUsd(CandidateAt(plan, i)) is { } cost && (cheapest is null || cost < cheapest))
            {
                cheapest = cost;
            }
        }

        return cheapest;
    }

    private void RecordExclusions(CallState call, RoutingRequest request, IReadOnlyList<int> route, IRoutingPolicy policy)
    {
        if (route.Count == _candidates.Length)
        {
            return;
        }

        for (var i = 0; i < _candidates.Length; i++)
        {
            var routed = false;
            for (var r = 0; r < route.Count && !routed; r++)
            {
                routed = route[r] == i;
            }

            if (!routed)
            {
                _recorder.Skipped(call, _candidates[i].Name, _candidates[i].Model, FailureKind.Ineligible,
                    $"left out by the {policy.Name} policy: {request.ExclusionOf(i) ?? "not chosen"}");
            }
        }
    }

    /// <summary>Throws <see cref="BudgetExceededException"/> before any dispatch when no routed candidate fits the call's or the tenant's budget.</summary>
    private void RefuseIfUnaffordable(CallState call, CallPlan plan, RoutingRequest request)
    {
        if (plan.Turn is { IsSpent: true } spent)
        {
            throw _failures.Unaffordable(call, BudgetScope.Turn, 0m, $"The turn's budget of {spent.LimitUsd} USD is spent ({spent.SpentUsd} USD).");
        }

        var count = CandidateCount(plan);
        decimal? tenantLeft = null;
        if (plan.TenantLimit is { } limit)
        {
            var (used, held) = _ledger.TenantToday(plan.Tenant!);

            // Settled spend at the limit admits nothing, not even a free model's hold of 0.
            tenantLeft = used >= limit ? -1m : limit - used - held;
        }

        for (var i = 0; i < count; i++)
        {
            var candidate = CandidateAt(plan, i);
            if (CallBudget.Fits(call, request, candidate, out _) && (tenantLeft is null || request.UpperBoundUsd(candidate, _budget.ReserveMargin) <= tenantLeft))
            {
                return;
            }
        }

        // Nothing fits: list every candidate's estimate against the budget it missed.
        var scope = plan.MaxCost is not null && !AnyFitsCall(call, plan, request) ? plan.MaxCostScope : BudgetScope.Tenant;
        for (var i = 0; i < count; i++)
        {
            var candidate = CandidateAt(plan, i);
            var estimate = scope == BudgetScope.Tenant ? request.UpperBoundUsd(candidate, _budget.ReserveMargin) : request.EstimateCostUsd(candidate);
            _recorder.Skipped(call, candidate.Name, candidate.Model, FailureKind.BudgetExceeded,
                estimate is null ? "no catalog price, so its cost cannot be bounded" : $"estimated {estimate:0.######} USD");
        }

        var left = scope == BudgetScope.Tenant ? Math.Max(0m, tenantLeft ?? 0m) : plan.MaxCost ?? 0m;
        var what = scope switch
        {
            BudgetScope.Tenant => $"tenant '{plan.Tenant}' has {left:0.######} USD left today",
            BudgetScope.Turn => $"the turn has {left:0.######} USD left",
            _ => $"the call may cost at most {left:0.######} USD",
        };
        throw _failures.Unaffordable(call, scope, left, $"No provider can serve this request within its budget: {what}. Nothing was sent.");
    }

    private bool AnyFitsCall(CallState call, CallPlan plan, RoutingRequest request)
    {
        var count = CandidateCount(plan);
        for (var i = 0; i < count; i++)
        {
            if (CallBudget.Fits(call, request, CandidateAt(plan, i), out _))
            {
                return true;
            }
        }

        return false;
    }
}
