using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Simulator;
using SkFallback.Tests.RoutingPolicies;

namespace SkFallback.Tests.Wire;

/// <summary>Context-window routing, budgets and the ledger against the simulator over real HTTP with the real SDKs.</summary>
public class CostOverHttpTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _fixture;

    public CostOverHttpTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Model(string role, WireFormat wire) => $"cost-{role}-{wire}-2024-01-01".ToLowerInvariant();

    private static PriceCatalog CatalogFor(WireFormat wire) => Prices.With($$"""
        "{{Model("small", wire)}}": { "provider": "OpenAI", "inputPerMillion": 0.15, "outputPerMillion": 0.6, "contextWindow": 400, "maxOutputTokens": 256,
                                      "capabilities": { "tools": true }, "qualityTier": 2 },
        "{{Model("large", wire)}}": { "provider": "OpenAI", "inputPerMillion": 2.5, "outputPerMillion": 10, "contextWindow": 128000, "maxOutputTokens": 4096,
                                      "capabilities": { "tools": true }, "qualityTier": 4 }
        """);

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task ContextTooLong_NeverReachesSmallModel_ShortPromptDoes(WireFormat wire)
    {
        var sim = _fixture.Simulator;
        string small = Model("small", wire), large = Model("large", wire);
        var options = new FallbackOptions();
        options.Add(_fixture.Provider("small", small, wire));
        options.Add(_fixture.Provider("large", large, wire));
        using var client = new FallbackChatClient(options, priceCatalog: CatalogFor(wire));
        var longPrompt = string.Join(' ', Enumerable.Range(0, 600).Select(i => $"item{i}"));

        var longAnswer = await client.GetResponseAsync(longPrompt, cancellationToken: Ct);
        var shortAnswer = await client.GetResponseAsync("Where is the nearest station?", cancellationToken: Ct);

        Assert.Equal("large", longAnswer.AdditionalProperties![FallbackMetadataKeys.Provider]);
        var skipped = Assert.Single(Chain.AttemptsOf(longAnswer), a => a.Skipped);
        Assert.Equal((FailureKind.ContextLengthExceeded, "small"), (skipped.Outcome, skipped.Provider));
        Assert.Contains("context window of 400", skipped.Detail);
        Assert.Equal("small", shortAnswer.AdditionalProperties![FallbackMetadataKeys.Provider]);
        var smallRequests = sim.RequestsFor(small);
        Assert.Single(smallRequests);
        Assert.Equal(sim.ExpectedReply(small, "Where is the nearest station?"), shortAnswer.Text);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task Cheapest_RoutesToSmallModel_LedgerChargesReportedUsage(WireFormat wire)
    {
        var sim = _fixture.Simulator;
        string small = Model("cheap-small", wire), large = Model("cheap-large", wire);
        var catalog = Prices.With($$"""
            "{{small}}": { "provider": "OpenAI", "inputPerMillion": 0.15, "outputPerMillion": 0.6, "contextWindow": 128000, "maxOutputTokens": 4096, "qualityTier": 2 },
            "{{large}}": { "provider": "OpenAI", "inputPerMillion": 2.5, "outputPerMillion": 10, "contextWindow": 128000, "maxOutputTokens": 4096, "qualityTier": 4 }
            """);
        var options = new FallbackOptions();
        options.Routing.Policy = "cheapest";
        options.Add(_fixture.Provider("large", large, wire));
        options.Add(_fixture.Provider("small", small, wire));
        var ledger = new SpendLedger();
        using var client = new FallbackChatClient(options, priceCatalog: catalog, ledger: ledger);

        var response = await client.GetResponseAsync("Summarise the meeting notes.", new ChatOptions { MaxOutputTokens = 50 }, Ct);

        Assert.Equal("small", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Empty(sim.RequestsFor(large));
        var usage = response.Usage!;
        var expected = ((usage.InputTokenCount!.Value * 0.15m) + (usage.OutputTokenCount!.Value * 0.6m)) / 1_000_000m;
        Assert.Equal(expected, ledger.Total.CostUsd);
        Assert.Equal(expected, response.AdditionalProperties[FallbackMetadataKeys.CostUsd]);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task Streaming_LedgerChargesUsageFromTheStream(WireFormat wire)
    {
        string large = Model("stream-large", wire);
        var catalog = Prices.With($$"""
            "{{large}}": { "provider": "OpenAI", "inputPerMillion": 2.5, "outputPerMillion": 10, "contextWindow": 128000, "maxOutputTokens": 4096, "qualityTier": 4 }
            """);
        var options = new FallbackOptions();
        options.Add(_fixture.Provider("large", large, wire));
        var ledger = new SpendLedger();
        using var client = new FallbackChatClient(options, priceCatalog: catalog, ledger: ledger);

        var updates = await client.GetStreamingResponseAsync("Describe the route.", cancellationToken: Ct).ToListAsync(Ct);

        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Last().Details;
        var record = Assert.Single(ledger.Recent);
        Assert.True(record.Reported);
        Assert.Equal((usage.InputTokenCount, usage.OutputTokenCount), (record.PromptTokens, record.OutputTokens));
        Assert.Equal(record.CostUsd, updates[^1].AdditionalProperties![FallbackMetadataKeys.CostUsd]);
    }

    [Fact]
    public async Task TenantBudget_HundredConcurrentCalls_LedgerNeverExceedsIt()
    {
        var sim = _fixture.Simulator;
        var wire = WireFormat.OpenAI;
        string model = Model("tenant", wire);
        var catalog = Prices.With($$"""
            "{{model}}": { "provider": "OpenAI", "inputPerMillion": 2.5, "outputPerMillion": 10, "contextWindow": 128000, "maxOutputTokens": 4096, "qualityTier": 4 }
            """);
        sim.Model(model).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(50), 0, 0));
        var options = new FallbackOptions();
        options.Add(_fixture.Provider("main", model, wire));

        // About 30 calls' worth: each asks for at most 32 output tokens.
        var perCall = ((40 * 2.5m) + (32 * 10m)) / 1_000_000m;
        var limit = 30 * perCall;
        options.Budget.TenantDailyLimits["acme"] = limit;
        var ledger = new SpendLedger();
        using var client = new FallbackChatClient(options, priceCatalog: catalog, ledger: ledger);
        var request = new ChatOptions { MaxOutputTokens = 32, AdditionalProperties = new() { [FallbackMetadataKeys.Tenant] = "acme" } };

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            try
            {
                await client.GetResponseAsync($"Question number {i}: where is the station?", request, Ct);
                return true;
            }
            catch (BudgetExceededException)
            {
                return false;
            }
        }));

        var (spent, held) = ledger.TenantToday("acme");
        Assert.True(spent <= limit, $"spent {spent} of {limit}");
        Assert.Equal(0m, held);
        Assert.Equal(outcomes.Count(o => o), sim.RequestsFor(model).Count);
        Assert.Equal(outcomes.Count(o => o), ledger.ByTenant["acme"].Attempts);
        Assert.Contains(false, outcomes);
        Assert.Contains(true, outcomes);
    }
}
