using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Routing;

namespace SkFallback.Benchmarks;

/// <summary>
/// A routing decision over ten priced candidates (the target: at most 5 µs, no allocation beyond the
/// result). <see cref="Cheapest_Decision"/> and <see cref="Conditional_Decision"/> measure the policy alone with the
/// request's token estimate already made (it is made once per call and shared by every check);
/// <see cref="Cheapest_WithEstimate"/> adds building the request and estimating a short prompt; the chain variants
/// measure a whole call with the plain ordered chain and with cheapest routing plus a per-call budget.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 6, iterationCount: 20)]
public class RoutingBenchmarks
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "Summarise the meeting notes in three bullet points.")];

    private readonly TokenEstimator _estimator = new();
    private RoutingCandidate[] _candidates = null!;
    private RoutingRequest _request = null!;
    private RoutingRequest _conditionalRequest = null!;
    private CheapestRoutingPolicy _cheapest = null!;
    private ConditionalRoutingPolicy _conditional = null!;
    private FallbackChatClient _ordered = null!;
    private FallbackChatClient _routed = null!;
    private ChatOptions _budgeted = null!;

    [GlobalSetup]
    public void Setup()
    {
        var catalog = PriceCatalog.Default;
        var priced = catalog.Models.Values.OrderBy(m => m.ModelId, StringComparer.Ordinal).ToArray();
        _candidates = new RoutingCandidate[10];
        for (var i = 0; i < _candidates.Length; i++)
        {
            var price = priced[i % priced.Length];
            _candidates[i] = new RoutingCandidate(i, $"provider-{i}", price.ModelId, price, latencyP95: TimeSpan.FromMilliseconds(200 + (50 * i)));
        }

        var options = new ChatOptions
        {
            MaxOutputTokens = 256,
            AdditionalProperties = new() { [FallbackMetadataKeys.MinQualityTier] = 2, [FallbackMetadataKeys.MaxLatency] = 600, [FallbackMetadataKeys.UserTier] = "pro" },
        };
        _request = new RoutingRequest(Messages, options, _estimator);
        _conditionalRequest = new RoutingRequest(Messages, options, _estimator);
        _cheapest = new CheapestRoutingPolicy();
        var routing = new RoutingOptions();
        var free = new RoutingRule { UserTier = "free" };
        free.Chain.Add("provider-3");
        var pro = new RoutingRule { UserTier = "pro", Cheapest = true };
        foreach (var candidate in _candidates)
        {
            pro.Chain.Add(candidate.Name);
        }

        routing.Rules.Add(free);
        routing.Rules.Add(pro);
        _conditional = new ConditionalRoutingPolicy(routing, [.. _candidates.Select(c => c.Name)]);

        // Estimates are made once per call; warm them so the decision alone is measured.
        _cheapest.Route(_request, _candidates);
        _conditional.Route(_conditionalRequest, _candidates);

        FallbackOptions Chain(string policy)
        {
            var chain = new FallbackOptions();
            chain.Routing.Policy = policy;
            chain.Add("primary", "gpt-4o-2024-08-06", new InMemoryChatClient("Hello! How can I help you today?"));
            chain.Add("secondary", "gpt-4o-mini-2024-07-18", new InMemoryChatClient("Hello from the secondary."));
            return chain;
        }

        _ordered = new FallbackChatClient(Chain(RoutingPolicyNames.Ordered));
        _routed = new FallbackChatClient(Chain(RoutingPolicyNames.Cheapest));
        _budgeted = new ChatOptions { MaxOutputTokens = 64, AdditionalProperties = new() { [FallbackMetadataKeys.MaxCostUsd] = 0.01m } };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ordered.Dispose();
        _routed.Dispose();
    }

    [Benchmark(Baseline = true, Description = "cheapest over 10 (decision)")]
    public IReadOnlyList<int> Cheapest_Decision() => _cheapest.Route(_request, _candidates);

    [Benchmark(Description = "conditional over 10, cheapest rule (decision)")]
    public IReadOnlyList<int> Conditional_Decision() => _conditional.Route(_conditionalRequest, _candidates);

    [Benchmark(Description = "cheapest over 10 + request + estimate")]
    public IReadOnlyList<int> Cheapest_WithEstimate() => _cheapest.Route(new RoutingRequest(Messages, _request.Options, _estimator), _candidates);

    [Benchmark(Description = "chain call, ordered")]
    public Task<ChatResponse> Chain_Ordered() => _ordered.GetResponseAsync(Messages);

    [Benchmark(Description = "chain call, cheapest + per-call budget")]
    public Task<ChatResponse> Chain_CheapestBudgeted() => _routed.GetResponseAsync(Messages, _budgeted);
}
