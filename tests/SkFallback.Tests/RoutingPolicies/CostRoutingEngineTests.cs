using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using SkFallback.Cost;
using SkFallback.Routing;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.RoutingPolicies;

/// <summary>Routing policies, budgets and the ledger inside the chain, with fake providers that report usage.</summary>
public class CostRoutingEngineTests
{
    internal static TestChatClient Priced(string name, long input = 1000, long output = 100) => new(name)
    {
        OnResponse = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, $"answer from {name}"))
        {
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output },
        }),
    };

    internal static FallbackChatClient Client(Action<FallbackOptions> configure, out SpendLedger ledger, params TestChatClient[] clients)
    {
        var options = Chain.Options(clients);
        configure(options);
        ledger = new SpendLedger();
        return new FallbackChatClient(options, priceCatalog: Prices.Catalog, ledger: ledger);
    }

    private static ChatOptions With(params (string Key, object? Value)[] properties)
    {
        var options = new ChatOptions { AdditionalProperties = [] };
        foreach (var (key, value) in properties)
        {
            options.AdditionalProperties[key] = value;
        }

        return options;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cheapest_CheapestModelAnswers_ExcludedOnesRecorded()
    {
        TestChatClient big = Priced("big"), mid = Priced("mid"), small = Priced("small");
        using var client = Client(o => o.Routing.Policy = "cheapest", out _, big, mid, small);

        var response = await client.GetResponseAsync("hello", With((FallbackMetadataKeys.MinQualityTier, 3)), Ct);

        Assert.Equal("answer from mid", response.Text);
        Assert.Equal(0, big.Calls);
        Assert.Equal(0, small.Calls);
        var skipped = Assert.Single(Chain.AttemptsOf(response), a => a.Skipped);
        Assert.Equal(("small", FailureKind.Ineligible), (skipped.Provider, skipped.Outcome));
        Assert.Contains("cheapest policy: quality tier 1 below the 3 required", skipped.Detail);
    }

    [Fact]
    public async Task Cheapest_CheapestFails_FallsBackByCostNotChainOrder()
    {
        TestChatClient big = Priced("big"), mid = Priced("mid");
        var small = new TestChatClient("small") { OnResponse = (_, _, _) => throw Chain.Status(503) };
        using var client = Client(o => { o.Routing.Policy = "cheapest"; o.MaxRetriesPerProvider = 0; }, out _, big, mid, small);

        var response = await client.GetResponseAsync("hello", cancellationToken: Ct);

        Assert.Equal("answer from mid", response.Text);
        Assert.Equal(["small", "mid"], Chain.AttemptsOf(response).Select(a => a.Provider));
    }

    [Fact]
    public async Task RequestKeys_NeverReachProviders()
    {
        var big = Priced("big");
        using var client = Client(_ => { }, out _, big);

        await client.GetResponseAsync("hello", With((FallbackMetadataKeys.Tenant, "acme"), (FallbackMetadataKeys.UserTier, "pro"), ("user_key", 1)), Ct);

        var received = big.ReceivedOptions[0]!.AdditionalProperties!;
        Assert.DoesNotContain(received.Keys, k => k.StartsWith("skfallback.", StringComparison.Ordinal));
        Assert.Equal(1, received["user_key"]);
    }

    [Fact]
    public async Task RequestNamesUnknownPolicy_ArgumentErrorNamingKey()
    {
        using var client = Client(_ => { }, out _, Priced("big"));

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("hello", With((FallbackMetadataKeys.RoutingPolicy, "fastest")), Ct));

        Assert.Contains(FallbackMetadataKeys.RoutingPolicy, ex.Message);
        Assert.Contains("'fastest'", ex.Message);
    }

    [Fact]
    public async Task RequestNamesPolicy_OverridesConfiguredOne()
    {
        TestChatClient big = Priced("big"), small = Priced("small");
        using var client = Client(_ => { }, out _, big, small);

        var response = await client.GetResponseAsync("hello", With((FallbackMetadataKeys.RoutingPolicy, "cheapest")), Ct);

        Assert.Equal("answer from small", response.Text);
    }

    [Fact]
    public async Task CustomPolicy_ChosenByNameInConfiguration()
    {
        TestChatClient big = Priced("big"), mid = Priced("mid"), small = Priced("small");
        var options = Chain.Options(big, mid, small);
        options.Routing.Policy = "reverse";
        using var client = new FallbackChatClient(options, routingPolicies: [new ReversePolicy()], priceCatalog: Prices.Catalog);

        var response = await client.GetResponseAsync("hello", cancellationToken: Ct);

        Assert.Equal("answer from small", response.Text);
        Assert.Equal("reverse", client.RoutingPolicy.Name);
    }

    [Fact]
    public void UnknownPolicyName_FailsAtStartupNamingKey()
    {
        var options = Chain.Options(Priced("big"));
        options.Routing.Policy = "fastest";

        var ex = Assert.Throws<OptionsValidationException>(() => new FallbackChatClient(options));

        Assert.Contains(ex.Failures, f => f.StartsWith("SkFallback:Routing:Policy 'fastest'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Conditional_RoutesByTier_EndToEnd()
    {
        TestChatClient big = Priced("big"), small = Priced("small");
        using var client = Client(o =>
        {
            o.Routing.Policy = "conditional";
            var free = new RoutingRule { UserTier = "free" };
            free.Chain.Add("small");
            o.Routing.Rules.Add(free);
        }, out _, big, small);

        var freeAnswer = await client.GetResponseAsync("hello", With((FallbackMetadataKeys.UserTier, "free")), Ct);
        var proAnswer = await client.GetResponseAsync("hello", With((FallbackMetadataKeys.UserTier, "pro")), Ct);

        Assert.Equal("answer from small", freeAnswer.Text);
        Assert.Equal("answer from big", proAnswer.Text);
    }

    [Fact]
    public async Task Ledger_RecordsReportedUsageAtCatalogPrices_AndAnnotatesCost()
    {
        var mid = Priced("mid", input: 2_000, output: 500);
        using var client = Client(_ => { }, out var ledger, mid);

        var response = await client.GetResponseAsync("hello", With((FallbackMetadataKeys.Tenant, "acme")), Ct);

        var expected = ((2_000 * 1m) + (500 * 4m)) / 1_000_000m;
        Assert.Equal(expected, response.AdditionalProperties![FallbackMetadataKeys.CostUsd]);
        Assert.IsType<decimal>(response.AdditionalProperties[FallbackMetadataKeys.EstimatedCostUsd]);
        var record = Assert.Single(ledger.Recent);
        Assert.Equal(("mid", Prices.Mid, "acme", 2_000L, 500L, expected, true), (record.Provider, record.Model, record.Tenant, record.PromptTokens, record.OutputTokens, record.CostUsd, record.Reported));
        Assert.Equal(expected, ledger.ByProvider["mid"].CostUsd);
        Assert.Equal(expected, ledger.ByTenant["acme"].CostUsd);
        Assert.Equal(expected, ledger.TenantToday("acme").SpentUsd);
    }

    [Fact]
    public async Task Ledger_PlainCall_StillRecordsPricedUsage()
    {
        var mid = Priced("mid", input: 1_000_000, output: 0);
        using var client = Client(_ => { }, out var ledger, mid);

        var response = await client.GetResponseAsync("hello", cancellationToken: Ct);

        Assert.Equal(1m, ledger.Total.CostUsd);
        Assert.Equal(1m, response.AdditionalProperties![FallbackMetadataKeys.CostUsd]);
    }

    [Fact]
    public async Task Ledger_HttpErrorAttempts_AreNotCharged()
    {
        var big = new TestChatClient("big") { OnResponse = (_, _, _) => throw Chain.Status(503) };
        var mid = Priced("mid", input: 100, output: 10);
        using var client = Client(o => { o.MaxRetriesPerProvider = 0; o.Budget.MaxCostPerCall = 1m; }, out var ledger, big, mid);

        await client.GetResponseAsync("hello", cancellationToken: Ct);

        var record = Assert.Single(ledger.Recent);
        Assert.Equal("mid", record.Provider);
    }

    [Fact]
    public async Task Budget_PerCall_SkipsCandidatesWhoseEstimateExceedsIt()
    {
        TestChatClient big = Priced("big"), small = Priced("small");
        using var client = Client(_ => { }, out _, big, small);

        // 1000 output tokens at big's 30 USD per million = 0.03 USD: over the limit; small costs 0.0004.
        var response = await client.GetResponseAsync("hello", With((FallbackMetadataKeys.MaxCostUsd, 0.01m)).WithMaxOutput(1000), Ct);

        Assert.Equal("answer from small", response.Text);
        Assert.Equal(0, big.Calls);
        var skipped = Assert.Single(Chain.AttemptsOf(response), a => a.Skipped);
        Assert.Equal(("big", FailureKind.BudgetExceeded), (skipped.Provider, skipped.Outcome));
    }

    [Fact]
    public async Task Budget_NothingFits_BudgetExceededBeforeAnyCall()
    {
        TestChatClient big = Priced("big"), mid = Priced("mid");
        using var client = Client(o => o.Budget.MaxCostPerCall = 0.000_001m, out var ledger, big, mid);

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hello", new ChatOptions { MaxOutputTokens = 100 }, Ct));

        Assert.Equal(0, big.Calls + mid.Calls);
        Assert.True(ex.BeforeDispatch);
        Assert.Equal(BudgetScope.Call, ex.Scope);
        Assert.Equal(0.000_001m, ex.RemainingUsd);
        Assert.Equal(["big", "mid"], ex.Attempts.Select(a => a.Provider));
        Assert.All(ex.Attempts, a => Assert.Equal(FailureKind.BudgetExceeded, a.Outcome));
        Assert.Contains("Nothing was sent", ex.Message);
        Assert.Equal(0, ledger.Total.Attempts);
    }

    [Fact]
    public async Task Budget_UnpricedModel_IsNeverChosenUnderABudget()
    {
        var local = new TestChatClient("local");
        var small = Priced("small");
        using var client = Client(o => o.Budget.MaxCostPerCall = 1m, out _, local, small);

        var response = await client.GetResponseAsync("hello", cancellationToken: Ct);

        Assert.Equal("answer from small", response.Text);
        Assert.Contains("no catalog price", Chain.AttemptsOf(response)[0].Detail);
    }

    [Fact]
    public async Task Budget_TimedOutAttemptIsCharged_RemainingBudgetShrinks()
    {
        // small times out after the request reached it (billed: its prompt estimate); what is left no longer covers mid.
        var small = new TestChatClient("small") { OnResponse = (_, _, _) => throw new TimeoutException("gateway timeout") };
        var mid = Priced("mid");
        using var client = Client(o => o.MaxRetriesPerProvider = 0, out var ledger, small, mid);
        var messages = new[] { new ChatMessage(ChatRole.User, string.Join(' ', Enumerable.Repeat("word", 50))) };
        var request = new RoutingRequest(messages, new ChatOptions { MaxOutputTokens = 10 });
        var midEstimate = request.EstimateCostUsd(client.Candidates[1])!.Value;
        var smallCharge = request.PromptTokens(client.Candidates[0]) * 0.1m / 1_000_000m;

        var options = With((FallbackMetadataKeys.MaxCostUsd, midEstimate + (smallCharge / 2))).WithMaxOutput(10);
        var ex = await Assert.ThrowsAsync<FallbackExhaustedException>(() => client.GetResponseAsync(messages, options, Ct));

        Assert.Equal(0, mid.Calls);
        Assert.Equal(FailureKind.BudgetExceeded, ex.Attempts[^1].Outcome);
        var charged = Assert.Single(ledger.Recent);
        Assert.Equal(("small", false, smallCharge), (charged.Provider, charged.Reported, charged.CostUsd));
    }

    [Fact]
    public async Task TurnBudget_AccumulatesAcrossCalls_ThenRefuses()
    {
        var mid = Priced("mid", input: 1_000, output: 1_000); // 0.005 USD a call
        using var client = Client(_ => { }, out _, mid);
        var turn = new TurnBudget(0.012m);
        var options = With((FallbackMetadataKeys.TurnBudget, turn)).WithMaxOutput(10);

        await client.GetResponseAsync("one", options, Ct);
        await client.GetResponseAsync("two", options, Ct);
        await client.GetResponseAsync("three", options, Ct);
        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("four", options, Ct));

        Assert.Equal(3, mid.Calls);
        Assert.Equal(0.015m, turn.SpentUsd);
        Assert.True(turn.IsSpent);
        Assert.Equal(BudgetScope.Turn, ex.Scope);
    }

    [Fact]
    public async Task TenantBudget_ConcurrentCalls_NeverOverspend()
    {
        // The provider reports the prompt as the tokenizer counts it and the whole output allowance; the tenant's day
        // covers about 40 such calls, and all 100 are in flight before any settles.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tokens = new TokenEstimator();
        var mid = new TestChatClient("mid")
        {
            OnResponse = async (messages, _, ct) =>
            {
                await gate.Task.WaitAsync(ct);
                var input = tokens.EstimatePromptTokens(Prices.Mid, messages);
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { FinishReason = ChatFinishReason.Stop, Usage = new() { InputTokenCount = input, OutputTokenCount = 250 } };
            },
        };
        var perCall = ((tokens.EstimatePromptTokens(Prices.Mid, [new ChatMessage(ChatRole.User, "question 10")]) * 1m) + (250 * 4m)) / 1_000_000m;
        var limit = 40 * perCall;
        using var client = Client(o => o.Budget.TenantDailyLimits["acme"] = limit, out var ledger, mid);
        var options = With((FallbackMetadataKeys.Tenant, "acme")).WithMaxOutput(250);

        var calls = Enumerable.Range(0, 100).Select(i => client.GetResponseAsync($"question {i}", options, Ct)).ToArray();
        gate.SetResult();
        var outcomes = await Task.WhenAll(calls.Select(async c =>
        {
            try
            {
                await c;
                return true;
            }
            catch (BudgetExceededException ex) when (ex.Scope == BudgetScope.Tenant)
            {
                return false;
            }
        }));

        var (spent, held) = ledger.TenantToday("acme");
        Assert.True(spent <= limit, $"spent {spent} of {limit}");
        Assert.Equal(0m, held);
        Assert.Equal(ledger.ByTenant["acme"].CostUsd, spent);
        Assert.Equal(outcomes.Count(o => o), mid.Calls);
        Assert.InRange(mid.Calls, 30, 40);
    }

    [Fact]
    public async Task TenantBudget_NextDay_StartsAfresh()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 23, 0, 0, TimeSpan.Zero));
        var mid = Priced("mid", input: 1_000_000, output: 0); // 1 USD a call
        var options = Chain.Options(mid);
        options.Budget.TenantDailyLimits["acme"] = 1.00001m;
        var ledger = new SpendLedger(time);
        using var client = new FallbackChatClient(options, timeProvider: time, priceCatalog: Prices.Catalog, ledger: ledger);
        var request = With((FallbackMetadataKeys.Tenant, "acme")).WithMaxOutput(1);
        var big = Enumerable.Repeat("token", 40).ToArray();

        await client.GetResponseAsync(string.Join(' ', big), request, Ct);
        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync(string.Join(' ', big), request, Ct));
        time.Advance(TimeSpan.FromHours(2));
        await client.GetResponseAsync(string.Join(' ', big), request, Ct);

        Assert.Equal(2, mid.Calls);
        Assert.Equal(1m, ledger.TenantToday("acme").SpentUsd);
    }

    [Fact]
    public async Task Streaming_CancelledMidStream_ChargedPromptAndDeliveredChunks()
    {
        var mid = new TestChatClient("mid") { OnStreaming = (_, _, ct) => TestChatClient.Words(ct, [.. Enumerable.Repeat("word", 200)]) };
        using var client = Client(o => o.Budget.MaxCostPerCall = 1m, out var ledger, mid);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("tell me a story", cancellationToken: cts.Token))
            {
                if (++seen == 50)
                {
                    await cts.CancelAsync();
                }
            }
        });

        var record = Assert.Single(ledger.Recent);
        Assert.Equal(FailureKind.Cancelled, record.Outcome);
        Assert.False(record.Reported);
        Assert.InRange(record.OutputTokens, 40, 60);
        Assert.True(record.CostUsd > 0);
    }

    [Fact]
    public async Task Streaming_ReportedUsage_ChargedAndOnTrailer()
    {
        var mid = new TestChatClient("mid") { OnStreaming = (_, _, ct) => WordsWithUsage(ct) };
        using var client = Client(_ => { }, out var ledger, mid);

        var updates = await client.GetStreamingResponseAsync("hello", cancellationToken: Ct).ToListAsync(Ct);

        var expected = ((300 * 1m) + (40 * 4m)) / 1_000_000m;
        Assert.Equal(expected, updates[^1].AdditionalProperties![FallbackMetadataKeys.CostUsd]);
        Assert.Equal(expected, ledger.Total.CostUsd);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> WordsWithUsage([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var update in TestChatClient.Words(ct, ["a", "short", "answer"]))
        {
            yield return update;
        }

        yield return new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 300, OutputTokenCount = 40 })] };
    }

    private sealed class ReversePolicy : IRoutingPolicy
    {
        public string Name => "reverse";

        public IReadOnlyList<int> Route(RoutingRequest request, IReadOnlyList<RoutingCandidate> candidates) =>
            [.. Enumerable.Range(0, candidates.Count).Reverse()];
    }
}

internal static class ChatOptionsTestExtensions
{
    public static ChatOptions WithMaxOutput(this ChatOptions options, int tokens)
    {
        options.MaxOutputTokens = tokens;
        return options;
    }
}

public class CostEstimateReportingTests
{
    [Fact]
    public async Task EstimatedCost_IsTheOneMadeBeforeDispatch_NotRecomputedAfterLearning()
    {
        // No MaxOutputTokens: the estimate uses the learned output average, which this very answer (24 tokens) updates.
        var mid = CostRoutingEngineTests.Priced("mid", input: 14, output: 24);
        using var client = CostRoutingEngineTests.Client(o => o.Budget.MaxCostPerCall = 1m, out var ledger, mid);
        var messages = new[] { new ChatMessage(ChatRole.User, "What is the capital of Portugal?") };
        var before = new RoutingRequest(messages, null).EstimateCostUsd(client.Candidates[0]);

        var response = await client.GetResponseAsync(messages, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(before, response.AdditionalProperties![FallbackMetadataKeys.EstimatedCostUsd]);
        Assert.Equal(before, ledger.Recent[0].EstimatedCostUsd);
    }

    [Fact]
    public void LatencyP95_NeedsTenSamples_BeforeItCanExcludeAProvider()
    {
        var window = new SkFallback.Health.ProviderHealthWindow();
        window.Record(TimeSpan.FromSeconds(9), FailureKind.None, default);

        Assert.Null(window.LatencyP95());
        for (var i = 0; i < 9; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(100), FailureKind.None, default);
        }

        Assert.Equal(TimeSpan.FromSeconds(9), window.LatencyP95());
    }
}
