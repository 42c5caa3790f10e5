using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkFallback.CircuitBreaking;
using SkFallback.Cost;
using SkFallback.Diagnostics;
using SkFallback.Engine.Admission;
using SkFallback.Judging;
using SkFallback.Providers;
using SkFallback.Routing;
using SkFallback.Streaming;

namespace SkFallback.Engine;

/// <summary>Builds a <see cref="Chain"/> from validated options: the providers' clients and breakers, the price and routing setup, and the parts every call uses.</summary>
internal static class ChainBuilder
{
    private static readonly IProviderClientFactory[] BuiltInFactories = [new OpenAIProviderClientFactory()];

    public static Chain Build(
        FallbackOptions options,
        IEnumerable<IProviderClientFactory>? providerFactories,
        ILogger logger,
        TimeProvider time,
        IProviderStateStore? stateStore,
        IEnumerable<IRoutingPolicy>? routingPolicies,
        PriceCatalog? priceCatalog,
        ISpendLedger? ledger,
        Events.FallbackEventLog? events = null)
    {
        var providers = new ChainProvider[options.Providers.Count];
        ChainTelemetry? telemetry = null;
        try
        {
            var captureContent = options.CaptureMessageContent ?? MessageContent.EnabledByEnvironment();
            telemetry = new ChainTelemetry(providers, captureContent ? new SecretRedactor(options.Providers.Select(p => p.ApiKey)) : null);
            var factories = (providerFactories ?? []).Concat(BuiltInFactories).ToList();
            ProviderStateSync? sync = null;
            for (var i = 0; i < providers.Length; i++)
            {
                providers[i] = ProviderBuilder.Build(options, i, factories, logger, time);
                if (providers[i].Breaker is { } breaker)
                {
                    ProviderStateSync.Watch(breaker, logger, telemetry, () => sync);
                }
            }

            var catalog = priceCatalog ?? PriceCatalog.Default;
            var candidates = new RoutingCandidate[providers.Length];
            for (var i = 0; i < providers.Length; i++)
            {
                providers[i].Attach(i, catalog.TryGet(providers[i].Model, out var price) ? price : null,
                    new OutputBilling(time, options.Budget.MaxOutputOverbill, options.Budget.OverbillHalfLife));
                candidates[i] = providers[i].Candidate;
            }

            var (policies, policy) = Policies(options.Routing, routingPolicies, providers);
            sync = stateStore is null ? null : new ProviderStateSync(stateStore, providers, options.CircuitBreaker.BreakDuration);
            return Assemble(options, providers, telemetry, logger, time, sync, catalog, ledger ?? new SpendLedger(time), policies, policy, candidates, events);
        }
        catch
        {
            foreach (var built in providers)
            {
                built?.Dispose();
            }

            telemetry?.Dispose();
            throw;
        }
    }

    private static Chain Assemble(
        FallbackOptions options,
        ChainProvider[] providers,
        ChainTelemetry telemetry,
        ILogger logger,
        TimeProvider time,
        ProviderStateSync? sync,
        PriceCatalog catalog,
        ISpendLedger ledger,
        Dictionary<string, IRoutingPolicy> policies,
        IRoutingPolicy policy,
        RoutingCandidate[] candidates,
        Events.FallbackEventLog? events)
    {
        var tokens = new TokenEstimator();
        var fallbackOn = (IEnumerable<FailureKind>?)options.FallbackOn ?? FallbackOptions.DefaultFallbackOn;
        var retry = new RetryDecider(fallbackOn, (IEnumerable<FailureKind>?)options.RetryOn ?? FallbackOptions.DefaultRetryOn, options.RetryBaseDelay, options.RetryMaxDelay);
        var cost = new CostMeter(ledger, tokens, time, options.Budget.ReserveMargin, logger);
        var redactor = new SecretRedactor(options.Providers.Select(p => p.ApiKey));
        var capture = events is null ? null : new Events.EventCapture(events, redactor);
        var recorder = new AttemptRecorder(telemetry, logger, time, cost, sync, options.DefaultRateLimitCooldown) { Events = capture };
        var failures = new ChainFailures(logger, retry, providers.Length, recorder, redactor, options.ExposeProviderExceptions);
        var planner = new CallPlanner(policies, policy, candidates, options.Routing, options.Budget, tokens, ledger, recorder, failures);
        var judge = new OutcomeJudge((IEnumerable<string>?)options.RefusalPhrases ?? FallbackOptions.DefaultRefusalPhrases, retry.FallsBack(FailureKind.Refusal));
        return new Chain
        {
            Providers = providers,
            Time = time,
            Telemetry = telemetry,
            Judge = judge,
            Redactor = redactor,
            TokenSources = new AttemptTokenSourcePool(time),
            Tokens = tokens,
            Retry = retry,
            Recorder = recorder,
            Cost = cost,
            Planner = planner,
            Failures = failures,
            Admission = Admission(providers, planner, time, recorder),
            Streaming = new StreamSettings(options.Streaming.Mode, options.Streaming.CommitChunks, options.Streaming.CommitDelay, options.Streaming.ContinueAfterCommit),
            Hedging = options.Routing.Hedging,
            HedgeBudget = new HedgeBudget(options.Routing.Hedging),
            Catalog = catalog,
            Metadata = new ChatClientMetadata("skfallback", null, providers[0].Model),
            RetryBudget = options.RetryBudget,
            Deadline = options.Deadline,
            StallDetectors = new StallDetectorPool(time),
            StateSync = sync,
            Events = capture,
        };
    }

    /// <summary>The admission rules, in order; a rule no provider of this chain can trip is left out, so the walk never asks it.</summary>
    private static AdmissionRules Admission(ChainProvider[] providers, CallPlanner planner, TimeProvider time, AttemptRecorder recorder)
    {
        var rules = new List<AdmissionRule> { new CooldownRule(time, recorder) };
        if (Array.Exists(providers, p => p.ContextWindow is not null))
        {
            rules.Add(new ContextWindowRule(planner, recorder));
        }

        rules.Add(new CallBudgetRule(recorder));

        // Rate-limit headers are read only through the HTTP client the chain owns.
        if (Array.Exists(providers, p => p.ObservesHttp))
        {
            rules.Add(new RateLimitRule(planner, time, recorder));
        }

        if (Array.Exists(providers, p => p.Breaker is not null))
        {
            rules.Add(new BreakerRule(recorder));
        }

        return new AdmissionRules(rules);
    }

    private static (Dictionary<string, IRoutingPolicy> Policies, IRoutingPolicy Chosen) Policies(RoutingOptions routing, IEnumerable<IRoutingPolicy>? extra, ChainProvider[] providers)
    {
        var policies = new Dictionary<string, IRoutingPolicy>(StringComparer.OrdinalIgnoreCase)
        {
            [RoutingPolicyNames.Ordered] = new OrderedRoutingPolicy(),
            [RoutingPolicyNames.Cheapest] = new CheapestRoutingPolicy(),
            [RoutingPolicyNames.Conditional] = new ConditionalRoutingPolicy(routing, Array.ConvertAll(providers, p => p.Name)),
        };
        foreach (var policy in extra ?? [])
        {
            policies[policy.Name] = policy;
        }

        if (!policies.TryGetValue(routing.Policy, out var chosen))
        {
            throw new OptionsValidationException(
                Microsoft.Extensions.Options.Options.DefaultName,
                typeof(FallbackOptions),
                [$"{FallbackOptions.SectionName}:Routing:Policy '{routing.Policy}' is not a routing policy; use one of: {string.Join(", ", policies.Keys.Order(StringComparer.Ordinal))}."]);
        }

        return (policies, chosen);
    }
}
