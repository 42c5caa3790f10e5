using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Routing;

namespace SkFallback;

/// <content>Cost: the routing policy, context-window and budget checks before dispatch, and charging what each attempt used.</content>
public sealed partial class FallbackChatClient
{
    private readonly Dictionary<string, IRoutingPolicy> _policies = new(StringComparer.OrdinalIgnoreCase);
    private IRoutingPolicy _policy = null!;
    private RoutingOptions _routing = null!;
    private BudgetOptions _budget = null!;
    private PriceCatalog _catalog = null!;
    private ISpendLedger _ledger = null!;
    private RoutingCandidate[] _candidates = [];
    private bool _routed;
    private int _smallestWindow = int.MaxValue;

    /// <summary>Gets the ledger every attempt's cost is recorded in.</summary>
    public ISpendLedger Ledger => _ledger;

    /// <summary>Gets the price catalog the chain estimates and charges with.</summary>
    public PriceCatalog Catalog => _catalog;

    /// <summary>Gets the chain's providers as routing policies see them, in chain order.</summary>
    public IReadOnlyList<RoutingCandidate> Candidates => _candidates;

    /// <summary>Gets the chain's per-turn limit (<see cref="BudgetOptions.MaxCostPerTurn"/>), if set.</summary>
    public decimal? MaxCostPerTurn => _budget.MaxCostPerTurn;

    /// <summary>Gets the routing policy the chain uses when a request does not name one.</summary>
    public IRoutingPolicy RoutingPolicy => _policy;

    private void InitializeCost(FallbackOptions options, IEnumerable<IRoutingPolicy>? policies, PriceCatalog? catalog, ISpendLedger? ledger)
    {
        _routing = options.Routing;
        _budget = options.Budget;
        _catalog = catalog ?? PriceCatalog.Default;
        _ledger = ledger ?? new SpendLedger(_timeProvider);
        _candidates = new RoutingCandidate[_providers.Length];
        for (var i = 0; i < _providers.Length; i++)
        {
            var provider = _providers[i];
            provider.Attach(i, _catalog.TryGet(provider.Model, out var price) ? price : null);
            _candidates[i] = provider.Candidate;
            if (provider.ContextWindow is int window)
            {
                _smallestWindow = Math.Min(_smallestWindow, window);
            }
        }

        _policies[RoutingPolicyNames.Ordered] = new OrderedRoutingPolicy();
        _policies[RoutingPolicyNames.Cheapest] = new CheapestRoutingPolicy();
        _policies[RoutingPolicyNames.Conditional] = new ConditionalRoutingPolicy(_routing, ProviderNames);
        foreach (var policy in policies ?? [])
        {
            _policies[policy.Name] = policy;
        }

        if (!_policies.TryGetValue(_routing.Policy, out var chosen))
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(
                Microsoft.Extensions.Options.Options.DefaultName,
                typeof(FallbackOptions),
                [$"{FallbackOptions.SectionName}:Routing:Policy '{_routing.Policy}' is not a routing policy; use one of: {string.Join(", ", _policies.Keys.Order(StringComparer.Ordinal))}."]);
        }

        _policy = chosen;
        _hedgeBudget = new HedgeBudget(_routing.Hedging);

        // Races need the request's estimates: to hold a hedge's cost and to charge the losers.
        _routed = chosen is not OrderedRoutingPolicy || _budget.Any || _routing.Hedging.Mode != HedgingMode.None;
    }

    /// <summary>
    /// Prepares one call: reads its metadata, runs the routing policy, refuses a call no candidate can pay for, and
    /// removes every SkFallback key from the options so none reaches a provider. A plain call (ordered policy, no
    /// budget, no request keys) does nothing here.
    /// </summary>
    private void Plan(FallbackCall call, IEnumerable<ChatMessage> messages, ref ChatOptions? options)
    {
        var properties = options?.AdditionalProperties;
        var hasKeys = properties is { Count: > 0 } && HasOwnKeys(properties);
        if (!_routed && !hasKeys)
        {
            return;
        }

        var policy = _policy;
        if (hasKeys)
        {
            if (RoutingRequest.Text(properties!, FallbackMetadataKeys.RoutingPolicy) is { } name && !_policies.TryGetValue(name, out policy))
            {
                throw new ArgumentException(
                    $"The request property '{FallbackMetadataKeys.RoutingPolicy}' names '{name}', which is not a routing policy of the chain ({string.Join(", ", _policies.Keys)}).",
                    nameof(options));
            }

            if (properties!.TryGetValue(FallbackMetadataKeys.TurnBudget, out var turn))
            {
                call.Turn = turn switch
                {
                    TurnBudget budget => budget,
                    null => null,
                    _ => throw new ArgumentException($"The request property '{FallbackMetadataKeys.TurnBudget}' must be a {nameof(TurnBudget)}.", nameof(options)),
                };
            }
        }

        var request = new RoutingRequest(messages, options, _tokens, _routing, _providers.Length);
        call.Routing = request;
        call.Tenant = request.Tenant;
        call.TenantLimit = _budget.DailyLimitOf(request.Tenant);

        decimal? maxCost = _budget.MaxCostPerCall;
        if (request.MaxCostUsd is { } asked && (maxCost is null || asked < maxCost))
        {
            maxCost = asked;
        }

        call.MaxCostScope = BudgetScope.Call;
        if (call.Turn is { } turnBudget && (maxCost is null || turnBudget.RemainingUsd < maxCost))
        {
            maxCost = turnBudget.RemainingUsd;
            call.MaxCostScope = BudgetScope.Turn;
        }

        call.MaxCost = maxCost;
        request.MaxCostUsd = maxCost;

        if (policy is not OrderedRoutingPolicy)
        {
            var route = policy.Route(request, _candidates);
            call.Route = route;
            RecordExclusions(call, request, route, policy);
        }

        if (call.Turn is { } turnToReport)
        {
            turnToReport.CheapestCallUsd = CheapestEstimate(call, request);
        }

        if (maxCost is not null || call.TenantLimit is not null)
        {
            RefuseIfUnaffordable(call, request);
        }

        if (hasKeys)
        {
            options = options!.Clone();
            var copy = new AdditionalPropertiesDictionary(options.AdditionalProperties!);
            foreach (var key in options.AdditionalProperties!.Keys)
            {
                if (key.StartsWith(FallbackMetadataKeys.Prefix, StringComparison.Ordinal))
                {
                    copy.Remove(key);
                }
            }

            options.AdditionalProperties = copy;
        }
    }

    /// <summary>The lowest estimated cost among the routed candidates (a lower bound for the turn's next round trip).</summary>
    private decimal? CheapestEstimate(FallbackCall call, RoutingRequest request)
    {
        decimal? cheapest = null;
        var count = call.Route?.Count ?? _providers.Length;
        for (var i = 0; i < count; i++)
        {
            if (request.EstimateCostUsd(_candidates[call.Route?[i] ?? i]) is { } cost && (cheapest is null || cost < cheapest))
            {
                cheapest = cost;
            }
        }

        return cheapest;
    }

    private static bool HasOwnKeys(AdditionalPropertiesDictionary properties)
    {
        foreach (var key in properties.Keys)
        {
            if (key.StartsWith(FallbackMetadataKeys.Prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private void RecordExclusions(FallbackCall call, RoutingRequest request, IReadOnlyList<int> route, IRoutingPolicy policy)
    {
        if (route.Count == _providers.Length)
        {
            return;
        }

        for (var i = 0; i < _providers.Length; i++)
        {
            var routed = false;
            for (var r = 0; r < route.Count && !routed; r++)
            {
                routed = route[r] == i;
            }

            if (!routed)
            {
                var provider = _providers[i];
                call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.Ineligible, null, TimeSpan.Zero,
                    Detail: $"left out by the {policy.Name} policy: {request.ExclusionOf(i) ?? "not chosen"}", Skipped: true));
            }
        }
    }

    /// <summary>Throws <see cref="BudgetExceededException"/> before any dispatch when no routed candidate fits the call's or the tenant's budget.</summary>
    private void RefuseIfUnaffordable(FallbackCall call, RoutingRequest request)
    {
        if (call.Turn is { IsSpent: true } spent)
        {
            throw Unaffordable(call, BudgetScope.Turn, 0m, $"The turn's budget of {spent.LimitUsd} USD is spent ({spent.SpentUsd} USD).");
        }

        var count = call.Route?.Count ?? _providers.Length;
        decimal? tenantLeft = null;
        if (call.TenantLimit is { } limit)
        {
            var (used, held) = _ledger.TenantToday(call.Tenant!);
            tenantLeft = limit - used - held;
        }

        for (var i = 0; i < count; i++)
        {
            var candidate = _candidates[call.Route?[i] ?? i];
            if (FitsCall(call, request, candidate, out _) && (tenantLeft is null || request.UpperBoundUsd(candidate, _budget.ReserveMargin) <= tenantLeft))
            {
                return;
            }
        }

        // Nothing fits: list every candidate's estimate against the budget it missed.
        var scope = call.MaxCost is not null && !AnyFitsCall(call, request, count) ? call.MaxCostScope : BudgetScope.Tenant;
        for (var i = 0; i < count; i++)
        {
            var candidate = _candidates[call.Route?[i] ?? i];
            var estimate = scope == BudgetScope.Tenant ? request.UpperBoundUsd(candidate, _budget.ReserveMargin) : request.EstimateCostUsd(candidate);
            call.Attempts.Add(new(candidate.Name, candidate.Model, FailureKind.BudgetExceeded, null, TimeSpan.Zero,
                Detail: estimate is null ? "no catalog price, so its cost cannot be bounded" : $"estimated {estimate:0.######} USD", Skipped: true));
        }

        var left = scope == BudgetScope.Tenant ? Math.Max(0m, tenantLeft ?? 0m) : call.MaxCost ?? 0m;
        var what = scope switch
        {
            BudgetScope.Tenant => $"tenant '{call.Tenant}' has {left:0.######} USD left today",
            BudgetScope.Turn => $"the turn has {left:0.######} USD left",
            _ => $"the call may cost at most {left:0.######} USD",
        };
        throw Unaffordable(call, scope, left, $"No provider can serve this request within its budget: {what}. Nothing was sent.");
    }

    private bool AnyFitsCall(FallbackCall call, RoutingRequest request, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (FitsCall(call, request, _candidates[call.Route?[i] ?? i], out _))
            {
                return true;
            }
        }

        return false;
    }

    private BudgetExceededException Unaffordable(FallbackCall call, BudgetScope scope, decimal left, string message)
    {
        Diagnostics.Log.BudgetRefused(_logger, scope, left, call.Attempts.Count);
        Diagnostics.FallbackTelemetry.RecordCall(null, FailureKind.BudgetExceeded, call.Elapsed);
        return new BudgetExceededException(message, scope, left, call.Attempts.ToArray());
    }

    /// <summary>Whether the candidate's estimate fits what is left of the call's budget (always, without one).</summary>
    private static bool FitsCall(FallbackCall call, RoutingRequest request, RoutingCandidate candidate, out decimal? estimate)
    {
        estimate = null;
        if (call.MaxCost is not { } max)
        {
            return true;
        }

        estimate = request.EstimateCostUsd(candidate);
        return estimate is { } cost && cost <= max - call.Spent;
    }

    /// <summary>Skips a provider whose estimate no longer fits the call's budget (after earlier attempts were charged).</summary>
    private static bool FitsBudget(FallbackCall call, ChainProvider provider)
    {
        if (call.MaxCost is null || call.Routing is not { } request)
        {
            return true;
        }

        if (FitsCall(call, request, provider.Candidate, out var estimate))
        {
            return true;
        }

        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.BudgetExceeded, null, TimeSpan.Zero,
            Detail: estimate is null
                ? "no catalog price, so its cost cannot be bounded under a budget"
                : $"estimated {estimate:0.######} USD, {Math.Max(0m, call.MaxCost.Value - call.Spent):0.######} USD left", Skipped: true));
        return false;
    }

    /// <summary>
    /// Skips a provider whose context window cannot hold the request. A cheap bound (every token is at least one
    /// UTF-8 byte) clears short requests without running the tokenizer.
    /// </summary>
    private bool FitsContextWindow(FallbackCall call, ChainProvider provider, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (provider.ContextWindow is not int window)
        {
            return true;
        }

        var output = options?.MaxOutputTokens ?? 0;
        if (call.PromptBound == long.MinValue)
        {
            call.PromptBound = PromptTokenBound(messages, options);
        }

        if (call.PromptBound is var bound and >= 0 && bound + output <= window)
        {
            return true;
        }

        var prompt = RequestOf(call, messages, options).PromptTokens(provider.Candidate);
        if (prompt + output <= window)
        {
            return true;
        }

        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.ContextLengthExceeded, null, TimeSpan.Zero,
            Detail: $"estimated {prompt} prompt tokens{(output > 0 ? $" + {output} output" : string.Empty)} exceed its context window of {window}", Skipped: true));
        return false;
    }

    /// <summary>
    /// An upper bound on the prompt tokens in any family: at most one token per UTF-8 byte (three per UTF-16 unit),
    /// the per-message overhead, and the largest correction; -1 when the request has content other than text.
    /// </summary>
    private static long PromptTokenBound(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.Tools is { Count: > 0 })
        {
            return -1;
        }

        long units = 0;
        long count = 0;
        if (messages is not IList<ChatMessage> list)
        {
            list = [.. messages];
        }

        for (var m = 0; m < list.Count; m++)
        {
            var message = list[m];
            count++;
            units += message.AuthorName?.Length ?? 0;
            var contents = message.Contents;
            for (var c = 0; c < contents.Count; c++)
            {
                if (contents[c] is not TextContent text)
                {
                    return -1;
                }

                units += text.Text?.Length ?? 0;
            }
        }

        var raw = (3 * units) + ((TokenEstimator.TokensPerMessage + TokenEstimator.TokensPerName + 1) * count) + TokenEstimator.ReplyPrimingTokens;
        return (long)Math.Ceiling(raw * TokenEstimator.MaxCorrection);
    }

    private RoutingRequest RequestOf(FallbackCall call, IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        call.Routing ??= new RoutingRequest(messages, options, _tokens, _routing, _providers.Length);

    /// <summary>Holds the tenant's budget for one attempt; a provider that cannot be held is skipped.</summary>
    private bool Reserve(FallbackCall call, ChainProvider provider)
    {
        if (call.TenantLimit is not { } limit || call.Routing is not { } request)
        {
            return true;
        }

        var bound = request.UpperBoundUsd(provider.Candidate, _budget.ReserveMargin);
        if (bound is { } amount && _ledger.TryReserve(call.Tenant!, limit, amount, out var reservation))
        {
            call.Reservation = reservation;
            return true;
        }

        var (used, held) = _ledger.TenantToday(call.Tenant!);
        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.BudgetExceeded, null, TimeSpan.Zero,
            Detail: bound is null
                ? "no catalog price, so its cost cannot be held against the tenant's budget"
                : $"could cost up to {bound:0.######} USD; tenant '{call.Tenant}' has {Math.Max(0m, limit - used - held):0.######} USD left today", Skipped: true));
        return false;
    }

    /// <summary>
    /// Charges one attempt what it used: the reported usage when there is one; otherwise, for an attempt that reached
    /// a model without an HTTP error (a timeout, a dropped or truncated stream, a cancelled call), the prompt estimate
    /// plus the chunks delivered (about one token each). Errors with an HTTP status are not billed by providers.
    /// </summary>
    private void Charge(FallbackCall call, ChainProvider provider, FailureKind outcome, int? statusCode, long deliveredChunks)
    {
        if (call.Charged)
        {
            return;
        }

        call.Charged = true;
        var usage = call.Usage;
        call.Usage = null;
        var reservation = call.Reservation;
        call.Reservation = null;
        call.LastCost = null;

        // The estimate as the budget saw it, taken before this answer teaches the estimator anything.
        var estimate = call.Routing?.EstimateCostUsd(provider.Candidate);
        call.LastEstimate = estimate;

        long prompt;
        long output;
        long cached = 0;
        var reported = usage?.InputTokenCount is not null;
        if (reported)
        {
            prompt = usage!.InputTokenCount!.Value;
            output = usage.OutputTokenCount ?? 0;
            cached = Math.Min(prompt, usage.CachedInputTokenCount ?? 0);
            if (call.Routing is { } estimated && outcome == FailureKind.None)
            {
                _tokens.Observe(provider.Model, estimated.PromptTokens(provider.Candidate), prompt, usage.OutputTokenCount);
            }
        }
        else if (call.Routing is { } request && Billable(outcome, statusCode, deliveredChunks))
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

            return;
        }

        var cost = provider.Price is { } price ? price.InputCost(prompt, cached) + price.OutputCost(output) : 0m;
        _ledger.Record(new SpendRecord(_timeProvider.GetUtcNow(), provider.Name, provider.Model, call.Tenant, prompt, output, cost, estimate, reported, outcome), reservation);
        call.Spent += cost;
        call.Turn?.Charge(cost);
        if (provider.Price is not null)
        {
            call.LastCost = cost;
        }
    }

    /// <summary>Whether an attempt without reported usage is likely to have been billed.</summary>
    private static bool Billable(FailureKind outcome, int? statusCode, long deliveredChunks) => outcome switch
    {
        FailureKind.None or FailureKind.Timeout or FailureKind.Stalled or FailureKind.FirstTokenTimeout or FailureKind.TruncatedStream
            or FailureKind.MalformedResponse or FailureKind.Refusal or FailureKind.Cancelled => statusCode is null or 200,
        FailureKind.ConnectionFailure => deliveredChunks > 0,
        _ => false,
    };

    private static void AnnotateCost(AdditionalPropertiesDictionary properties, FallbackCall call, ChainProvider provider)
    {
        if (call.LastCost is { } cost)
        {
            properties[FallbackMetadataKeys.CostUsd] = cost;
        }

        if (call.LastEstimate is { } estimate)
        {
            properties[FallbackMetadataKeys.EstimatedCostUsd] = estimate;
        }
    }
}
