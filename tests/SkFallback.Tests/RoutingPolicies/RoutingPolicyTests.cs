using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Routing;

namespace SkFallback.Tests.RoutingPolicies;

/// <summary>The built-in policies on detached candidates: who goes first, who is left out and why.</summary>
public class RoutingPolicyTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "Say hello to the team and summarise the plan for today.")];

    private static RoutingCandidate[] Candidates(TimeSpan? bigP95 = null, TimeSpan? midP95 = null, TimeSpan? smallP95 = null)
    {
        var catalog = Prices.Catalog;
        return
        [
            new RoutingCandidate(0, "big", Prices.Big, catalog.Models[Prices.Big], latencyP95: bigP95),
            new RoutingCandidate(1, "mid", Prices.Mid, catalog.Models[Prices.Mid], latencyP95: midP95),
            new RoutingCandidate(2, "small", Prices.Small, catalog.Models[Prices.Small], latencyP95: smallP95),
        ];
    }

    private static RoutingRequest Request(ChatOptions? options = null, IEnumerable<ChatMessage>? messages = null, RoutingOptions? defaults = null) =>
        new(messages ?? Hello, options, defaults: defaults);

    [Fact]
    public void Cheapest_NoBounds_OrdersEveryCandidateByEstimatedCost()
    {
        var order = new CheapestRoutingPolicy().Route(Request(), Candidates());

        Assert.Equal([2, 1, 0], order);
    }

    [Fact]
    public void Cheapest_EstimatesFollowCatalogPrices()
    {
        var request = Request(new ChatOptions { MaxOutputTokens = 100 });
        var candidates = Candidates();

        var prompt = request.PromptTokens(candidates[0]);
        var expected = ((prompt * 10m) + (100 * 30m)) / 1_000_000m;

        Assert.Equal(expected, request.EstimateCostUsd(candidates[0]));
        Assert.True(request.EstimateCostUsd(candidates[2]) < request.EstimateCostUsd(candidates[1]));
    }

    [Fact]
    public void Cheapest_ToolsRequested_LeavesOutModelWithoutTools()
    {
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create(() => "sunny", "weather")] };
        var request = Request(options);
        var candidates = Candidates();

        var order = new CheapestRoutingPolicy().Route(request, candidates);

        Assert.Equal([1, 0], order);
        Assert.Contains("Tools", request.ExclusionOf(2));
    }

    [Fact]
    public void Cheapest_ImageInput_OnlyVisionModelIsEligible()
    {
        var messages = new[] { new ChatMessage(ChatRole.User, [new TextContent("What is in this picture?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]) };
        var request = Request(messages: messages);

        var order = new CheapestRoutingPolicy().Route(request, Candidates());

        Assert.Equal([0], order);
        Assert.Equal(ModelCapabilities.Vision, request.RequiredCapabilities);
    }

    [Fact]
    public void Cheapest_JsonResponseFormat_LeavesOutModelWithoutJson()
    {
        var order = new CheapestRoutingPolicy().Route(Request(new ChatOptions { ResponseFormat = ChatResponseFormat.Json }), Candidates());

        Assert.Equal([1, 0], order);
    }

    [Fact]
    public void Cheapest_MinimumQualityTier_FromRequest_LeavesOutLowerTiers()
    {
        var request = Request(new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.MinQualityTier] = 3 } });

        var order = new CheapestRoutingPolicy().Route(request, Candidates());

        Assert.Equal([1, 0], order);
        Assert.Equal("quality tier 1 below the 3 required", request.ExclusionOf(2));
    }

    [Fact]
    public void Cheapest_MinimumQualityTier_FromDefaults_AppliesWhenRequestIsSilent()
    {
        var order = new CheapestRoutingPolicy().Route(Request(defaults: new RoutingOptions { MinQualityTier = 5 }), Candidates());

        Assert.Equal([0], order);
    }

    [Fact]
    public void Cheapest_UnknownTierWithMinimum_IsLeftOut_UnknownPriceGoesLast()
    {
        var candidates = Candidates().Append(new RoutingCandidate(3, "local", "local-model-2024-01-01", price: null)).ToArray();

        var unbounded = new CheapestRoutingPolicy().Route(Request(), candidates);
        var bounded = Request(new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.MinQualityTier] = "2" } });
        var withTier = new CheapestRoutingPolicy().Route(bounded, candidates);

        Assert.Equal([2, 1, 0, 3], unbounded);
        Assert.Equal([1, 0], withTier);
        Assert.Equal("quality tier unknown, 2 required", bounded.ExclusionOf(3));
    }

    [Fact]
    public void Cheapest_LatencyBound_LeavesOutSlowP95_KeepsCandidatesWithoutHistory()
    {
        var candidates = Candidates(bigP95: TimeSpan.FromMilliseconds(400), midP95: TimeSpan.FromSeconds(3), smallP95: null);
        var request = Request(new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.MaxLatency] = 1000 } });

        var order = new CheapestRoutingPolicy().Route(request, candidates);

        Assert.Equal([2, 0], order);
        Assert.Equal("p95 latency 3000 ms above the 1000 ms bound", request.ExclusionOf(1));
    }

    [Fact]
    public void Cheapest_EqualCosts_KeepChainOrder()
    {
        var price = Prices.Catalog.Models[Prices.Mid];
        RoutingCandidate[] candidates = [new(0, "x", "x-2024-01-01", price), new(1, "y", "y-2024-01-01", price), new(2, "z", "z-2024-01-01", price)];

        Assert.Equal([0, 1, 2], new CheapestRoutingPolicy().Route(Request(), candidates));
    }

    [Fact]
    public void Ordered_ReturnsChainOrder()
    {
        Assert.Equal([0, 1, 2], new OrderedRoutingPolicy().Route(Request(), Candidates()));
    }

    private static ConditionalRoutingPolicy Conditional()
    {
        var options = new RoutingOptions();
        var free = new RoutingRule { UserTier = "free" };
        free.Chain.Add("small");
        free.Chain.Add("mid");
        var eu = new RoutingRule { Region = "eu", UserTier = "pro" };
        eu.Chain.Add("mid");
        var pro = new RoutingRule { UserTier = "pro", Cheapest = true };
        pro.Chain.Add("big");
        pro.Chain.Add("mid");
        options.Rules.Add(free);
        options.Rules.Add(eu);
        options.Rules.Add(pro);
        options.DefaultChain = ["big"];
        return new ConditionalRoutingPolicy(options, ["big", "mid", "small"]);
    }

    private static RoutingRequest WithMetadata(string? tier, string? region) =>
        Request(new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.UserTier] = tier, [FallbackMetadataKeys.Region] = region } });

    [Theory]
    [InlineData("free", null, new[] { 2, 1 })]
    [InlineData("FREE", "eu", new[] { 2, 1 })]
    [InlineData("pro", "eu", new[] { 1 })]
    [InlineData("pro", "us", new[] { 1, 0 })]
    [InlineData("enterprise", "us", new[] { 0 })]
    [InlineData(null, null, new[] { 0 })]
    public void Conditional_RoutesByTierAndRegion(string? tier, string? region, int[] expected)
    {
        var request = WithMetadata(tier, region);

        var order = Conditional().Route(request, Candidates());

        Assert.Equal(expected, order);
    }

    [Fact]
    public void Conditional_LeftOutProvidersCarryTheRule()
    {
        var request = WithMetadata("pro", "eu");

        Conditional().Route(request, Candidates());

        Assert.StartsWith("not in the chain of conditional rule 1", request.ExclusionOf(0));
        Assert.Null(request.ExclusionOf(1));
    }

    [Fact]
    public void Conditional_RuleNamingUnknownProvider_FailsNamingTheKey()
    {
        var options = new RoutingOptions();
        var rule = new RoutingRule { UserTier = "free" };
        rule.Chain.Add("small");
        rule.Chain.Add("tiny");
        options.Rules.Add(rule);

        var ex = Assert.Throws<ArgumentException>(() => new ConditionalRoutingPolicy(options, ["big", "mid", "small"]));

        Assert.Contains("SkFallback:Routing:Rules:0:Chain:1", ex.Message);
        Assert.Contains("'tiny'", ex.Message);
    }

    [Fact]
    public void Request_MetadataFromJsonElements_IsRead()
    {
        var json = System.Text.Json.JsonDocument.Parse("""{ "tier": "free", "max": 0.25, "min": "3" }""").RootElement;
        var request = Request(new ChatOptions
        {
            AdditionalProperties = new()
            {
                [FallbackMetadataKeys.UserTier] = json.GetProperty("tier"),
                [FallbackMetadataKeys.MaxCostUsd] = json.GetProperty("max"),
                [FallbackMetadataKeys.MinQualityTier] = json.GetProperty("min"),
            },
        });

        Assert.Equal("free", request.UserTier);
        Assert.Equal(0.25m, request.MaxCostUsd);
        Assert.Equal(3, request.MinQualityTier);
    }

    [Fact]
    public void Request_NonNumericMaxCost_FailsNamingTheKey()
    {
        var ex = Assert.Throws<ArgumentException>(() => Request(new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.MaxCostUsd] = "cheap" } }));

        Assert.Contains(FallbackMetadataKeys.MaxCostUsd, ex.Message);
    }
}
