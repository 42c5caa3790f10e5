using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Cost;
using SkFallback.Routing;
using SkFallback.Tests.Fakes;
using SkFallback.Tests.RoutingPolicies;

namespace SkFallback.Tests.Hedging;

/// <summary>Hedged and parallel calls on a fake clock: when hedges start, who wins, what the losers cost, and the hedge budget.</summary>
public class HedgedCallTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A provider that answers only when cancelled (never): it records the token it was given.</summary>
    private static TestChatClient Hanging(string name, List<CancellationToken> tokens) => new(name)
    {
        OnResponse = (_, _, ct) =>
        {
            lock (tokens)
            {
                tokens.Add(ct);
            }

            return Task.Delay(Timeout.InfiniteTimeSpan, ct).ContinueWith<ChatResponse>(_ => throw new OperationCanceledException(ct), TaskScheduler.Default);
        },
    };

    /// <summary>A provider that answers after <paramref name="delay"/> on the fake clock, with usage.</summary>
    private static TestChatClient After(string name, TimeProvider time, TimeSpan delay) => new(name)
    {
        OnResponse = async (_, _, ct) =>
        {
            await Task.Delay(delay, time, ct);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer from " + name))
            {
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20 },
            };
        },
    };

    private static FallbackChatClient Hedged(FakeTimeProvider time, Action<HedgingOptions>? configure, out SpendLedger ledger, params TestChatClient[] clients)
    {
        var options = Chain.Options(clients);
        options.MaxRetriesPerProvider = 0;
        options.AttemptTimeout = TimeSpan.FromMinutes(5);
        var hedging = options.Routing.Hedging;
        hedging.Mode = HedgingMode.Hedged;
        hedging.Delay = TimeSpan.FromMilliseconds(500);
        hedging.DelayFromObservedP95 = false;
        hedging.MaxExtraAttemptFraction = 1;
        configure?.Invoke(hedging);
        ledger = new SpendLedger(time);
        return new FallbackChatClient(options, timeProvider: time, priceCatalog: Prices.Catalog, ledger: ledger);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 5000 && !condition(); i++)
        {
            await Task.Delay(1, Ct);
        }

        Assert.True(condition(), "the condition did not become true within 5 s");
    }

    [Fact]
    public async Task Hedged_PrimarySlowerThanDelay_StartsTheHedgeAtTheDelayAndCancelsThePrimary()
    {
        var time = new FakeTimeProvider();
        var tokens = new List<CancellationToken>();
        var big = Hanging("big", tokens);
        var mid = new TestChatClient("mid");
        using var client = Hedged(time, null, out var ledger, big, mid);

        var call = client.GetResponseAsync("hi", cancellationToken: Ct);
        await WaitUntil(() => big.Calls == 1);
        time.Advance(TimeSpan.FromMilliseconds(499));
        await Task.Yield();
        Assert.Equal(0, mid.Calls);

        time.Advance(TimeSpan.FromMilliseconds(1));
        var response = await call.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("answer from mid", response.Text);
        Assert.Equal("mid", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
        var attempts = Chain.AttemptsOf(response);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(("big", FailureKind.Cancelled), (attempts[0].Provider, attempts[0].Outcome));
        Assert.Contains("lost the race to mid", attempts[0].Detail, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMilliseconds(500), attempts[0].Elapsed);
        Assert.Equal(("mid", FailureKind.None), (attempts[1].Provider, attempts[1].Outcome));
        await WaitUntil(() => tokens[0].IsCancellationRequested);
        Assert.Equal(1, client.Hedging.Hedges);
    }

    [Fact]
    public async Task Hedged_PrimaryAnswersBeforeDelay_StartsNoHedge()
    {
        var time = new FakeTimeProvider();
        var big = After("big", time, TimeSpan.FromMilliseconds(300));
        var mid = new TestChatClient("mid");
        using var client = Hedged(time, null, out _, big, mid);

        var call = client.GetResponseAsync("hi", cancellationToken: Ct);
        await WaitUntil(() => big.Calls == 1);
        time.Advance(TimeSpan.FromMilliseconds(300));
        var response = await call.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal("answer from big", response.Text);
        Assert.Equal(0, mid.Calls);
        Assert.Single(Chain.AttemptsOf(response));
        Assert.Equal(new HedgingSnapshot(1, 0, client.Hedging.PrimaryCostUsd, 0m), client.Hedging);
        Assert.True(client.Hedging.PrimaryCostUsd > 0);
    }

    [Fact]
    public async Task Hedged_PrimaryFailsBeforeDelay_FallsBackAtOnceWithoutAHedge()
    {
        var time = new FakeTimeProvider();
        var big = new TestChatClient("big") { OnResponse = (_, _, _) => Task.FromException<ChatResponse>(Chain.Status(503)) };
        var mid = new TestChatClient("mid");
        using var client = Hedged(time, null, out _, big, mid);

        var response = await client.GetResponseAsync("hi", cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("answer from mid", response.Text);
        var attempts = Chain.AttemptsOf(response);
        Assert.Equal([FailureKind.ServerError, FailureKind.None], attempts.Select(a => a.Outcome));
        Assert.Equal(0, client.Hedging.Hedges);
    }

    [Fact]
    public async Task Hedged_EveryRacerFails_TheChainGoesOnToTheNextCandidate()
    {
        var time = new FakeTimeProvider();
        var gate = new TaskCompletionSource();
        var big = new TestChatClient("big") { OnResponse = async (_, _, _) => { await gate.Task; throw Chain.Status(500); } };
        var mid = new TestChatClient("mid") { OnResponse = (_, _, _) => Task.FromException<ChatResponse>(Chain.Status(502)) };
        var small = new TestChatClient("small");
        using var client = Hedged(time, null, out _, big, mid, small);

        var call = client.GetResponseAsync("hi", cancellationToken: Ct);
        await WaitUntil(() => big.Calls == 1);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await WaitUntil(() => mid.Calls == 1);
        Assert.Equal(0, small.Calls);
        gate.SetResult();
        var response = await call.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("answer from small", response.Text);
        var attempts = Chain.AttemptsOf(response);
        Assert.Equal(["big", "mid", "small"], attempts.Select(a => a.Provider));
        Assert.Equal([FailureKind.ServerError, FailureKind.ServerError, FailureKind.None], attempts.Select(a => a.Outcome));
    }

    [Fact]
    public async Task Parallel_StartsTheFirstCandidatesAtOnce_FirstAnswerWinsAndTheOthersAreCancelled()
    {
        var time = new FakeTimeProvider();
        var tokens = new List<CancellationToken>();
        var big = Hanging("big", tokens);
        var mid = After("mid", time, TimeSpan.FromMilliseconds(40));
        var small = Hanging("small", tokens);
        using var client = Hedged(time, h => { h.Mode = HedgingMode.Parallel; h.MaxAttempts = 3; h.MaxExtraAttemptFraction = 2; }, out var ledger, big, mid, small);

        var call = client.GetResponseAsync("hi", cancellationToken: Ct);
        await WaitUntil(() => big.Calls == 1 && mid.Calls == 1 && small.Calls == 1);
        time.Advance(TimeSpan.FromMilliseconds(40));
        var response = await call.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("answer from mid", response.Text);
        var attempts = Chain.AttemptsOf(response);
        // The losers first, in the order they started; the winner's record last.
        Assert.Equal(["big", "small", "mid"], attempts.Select(a => a.Provider));
        Assert.Equal([FailureKind.Cancelled, FailureKind.Cancelled, FailureKind.None], attempts.Select(a => a.Outcome));
        await WaitUntil(() => tokens.Count == 2 && tokens.TrueForAll(t => t.IsCancellationRequested));
        Assert.Equal(2, client.Hedging.Hedges);

        // The losers were sent the prompt, so they are charged it, as cancelled.
        await WaitUntil(() => ledger.Recent.Count == 3);
        Assert.Equal(2, ledger.Recent.Count(r => r.Outcome == FailureKind.Cancelled && r.PromptTokens > 0 && !r.Reported));
        Assert.Equal(response.AdditionalProperties![FallbackMetadataKeys.CostUsd], ledger.Recent.Single(r => r.Outcome == FailureKind.None).CostUsd);
    }

    [Fact]
    public async Task Parallel_CallerCancels_EveryRacerIsCancelledAndTheCallThrows()
    {
        var time = new FakeTimeProvider();
        var tokens = new List<CancellationToken>();
        var big = Hanging("big", tokens);
        var mid = Hanging("mid", tokens);
        var small = new TestChatClient("small");
        using var client = Hedged(time, h => h.Mode = HedgingMode.Parallel, out _, big, mid, small);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = client.GetResponseAsync("hi", cancellationToken: caller.Token);
        await WaitUntil(() => tokens.Count == 2);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.True(tokens.TrueForAll(t => t.IsCancellationRequested));
        Assert.Equal(0, small.Calls);
    }

    [Fact]
    public async Task Parallel_ARacerFailsWithACallerError_TheCallStopsWithItAndCancelsTheOthers()
    {
        var time = new FakeTimeProvider();
        var tokens = new List<CancellationToken>();
        var big = Hanging("big", tokens);
        var mid = new TestChatClient("mid") { OnResponse = (_, _, _) => Task.FromException<ChatResponse>(Chain.Status(400)) };
        var small = new TestChatClient("small");
        using var client = Hedged(time, h => h.Mode = HedgingMode.Parallel, out _, big, mid, small);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi", cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.StatusCode);
        await WaitUntil(() => tokens.Count == 1 && tokens[0].IsCancellationRequested);
        Assert.Equal(0, small.Calls);
    }

    [Fact]
    public async Task RequestKey_ChoosesTheModePerCall_AndNeverReachesAProvider()
    {
        var time = new FakeTimeProvider();
        var tokens = new List<CancellationToken>();
        var big = Hanging("big", tokens);
        var mid = new TestChatClient("mid");
        using var client = Hedged(time, h => h.Mode = HedgingMode.None, out _, big, mid);
        var options = new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.Hedging] = "parallel" } };

        var response = await client.GetResponseAsync("hi", options, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("answer from mid", response.Text);
        Assert.All(big.ReceivedOptions.Concat(mid.ReceivedOptions), o => Assert.DoesNotContain(o?.AdditionalProperties?.Keys ?? [], k => k.StartsWith("skfallback.", StringComparison.Ordinal)));
        var bad = new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.Hedging] = "sometimes" } };
        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("hi", bad, Ct));
        Assert.Contains(FallbackMetadataKeys.Hedging, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hedged_DelayFromObservedP95_HedgesAtThePrimarysP95()
    {
        var time = new FakeTimeProvider();
        var slow = false;
        var big = new TestChatClient("big")
        {
            OnResponse = async (_, _, ct) =>
            {
                await Task.Delay(slow ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(200), time, ct);
                return TestChatClient.Answer("big");
            },
        };
        var mid = new TestChatClient("mid");
        using var client = Hedged(time, h => { h.DelayFromObservedP95 = true; h.Delay = TimeSpan.FromSeconds(30); }, out _, big, mid);

        // Ten answers in 200 ms each: the primary's p95 is 200 ms; until then the fixed 30 s applies.
        for (var i = 0; i < 10; i++)
        {
            var warm = client.GetResponseAsync("hi", cancellationToken: Ct);
            await WaitUntil(() => big.Calls == i + 1);
            time.Advance(TimeSpan.FromMilliseconds(200));
            Assert.Equal("answer from big", (await warm.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Text);
        }

        slow = true;
        var call = client.GetResponseAsync("hi", cancellationToken: Ct);
        await WaitUntil(() => big.Calls == 11);
        time.Advance(TimeSpan.FromMilliseconds(199));
        await Task.Yield();
        Assert.Equal(0, mid.Calls);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("answer from mid", (await call.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Text);
    }

    [Fact]
    public async Task AttemptBudget_CapsHedgesAtTheFractionOfCalls_AndRefusedHedgesStayInTheChain()
    {
        var time = new FakeTimeProvider();
        var big = After("big", time, TimeSpan.FromSeconds(1));
        var mid = After("mid", time, TimeSpan.FromMilliseconds(10));
        using var client = Hedged(time, h => h.MaxExtraAttemptFraction = 0.2, out _, big, mid);

        const int Calls = 40;
        var hedged = 0;
        for (var i = 0; i < Calls; i++)
        {
            var call = client.GetResponseAsync("hi", cancellationToken: Ct);
            await WaitUntil(() => big.Calls == i + 1);
            time.Advance(TimeSpan.FromMilliseconds(500));
            time.Advance(TimeSpan.FromMilliseconds(10));
            if (!call.IsCompleted)
            {
                time.Advance(TimeSpan.FromMilliseconds(490));
            }

            var response = await call.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            hedged += response.Text == "answer from mid" ? 1 : 0;
        }

        // One saved hedge to start with, then 0.2 per call.
        Assert.Equal(hedged, client.Hedging.Hedges);
        Assert.InRange(hedged, 1, 1 + (0.2 * Calls));
        Assert.True(hedged >= (0.2 * Calls) - 1, $"only {hedged} hedges");
        Assert.Equal(Calls, client.Hedging.Races);
    }

    [Fact]
    public async Task CostBudget_HedgesNeverCostMoreThanTheFractionOfThePrimaries()
    {
        var time = new FakeTimeProvider();
        var big = After("big", time, TimeSpan.FromSeconds(1));
        var mid = After("mid", time, TimeSpan.FromMilliseconds(10));
        using var client = Hedged(time, h => { h.MaxExtraCostFraction = 0.5; h.MaxExtraAttemptFraction = 1; }, out var ledger, big, mid);
        var options = new ChatOptions { MaxOutputTokens = 50 };

        var hedged = 0;
        for (var i = 0; i < 30; i++)
        {
            var call = client.GetResponseAsync("hi", options, Ct);
            await WaitUntil(() => big.Calls == i + 1);
            time.Advance(TimeSpan.FromMilliseconds(510));
            if (!call.IsCompleted)
            {
                time.Advance(TimeSpan.FromMilliseconds(490));
            }

            hedged += (await call.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Text == "answer from mid" ? 1 : 0;
            await WaitUntil(() => ledger.Recent.Count == i + 1 + hedged);
        }

        var snapshot = client.Hedging;
        Assert.InRange(hedged, 1, 29);
        Assert.True(snapshot.HedgeCostUsd <= 0.5m * snapshot.PrimaryCostUsd, $"hedges cost {snapshot.HedgeCostUsd}, primaries {snapshot.PrimaryCostUsd}");
        Assert.Equal(ledger.Total.CostUsd, snapshot.HedgeCostUsd + snapshot.PrimaryCostUsd);
    }

    [Theory]
    [InlineData(1, "MaxAttempts")]
    [InlineData(9, "MaxAttempts")]
    public void Options_MaxAttemptsOutOfRange_FailsAtStartupNamingTheKey(int attempts, string key)
    {
        var options = Chain.Options(new TestChatClient("a"), new TestChatClient("b"));
        options.Routing.Hedging.MaxAttempts = attempts;
        var error = Assert.Throws<OptionsValidationException>(() => new FallbackChatClient(options));
        Assert.Contains($"SkFallback:Routing:Hedging:{key}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_BadFractionsAndDelay_FailAtStartupNamingEachKey()
    {
        var options = Chain.Options(new TestChatClient("a"), new TestChatClient("b"));
        options.Routing.Hedging.MaxExtraAttemptFraction = -0.1;
        options.Routing.Hedging.MaxExtraCostFraction = 0;
        options.Routing.Hedging.Delay = TimeSpan.FromMilliseconds(-5);
        options.Routing.Hedging.Mode = (HedgingMode)7;
        var error = Assert.Throws<OptionsValidationException>(() => new FallbackChatClient(options));
        foreach (var key in new[] { "MaxExtraAttemptFraction", "MaxExtraCostFraction", "Delay", "Mode" })
        {
            Assert.Contains($"SkFallback:Routing:Hedging:{key}", error.Message, StringComparison.Ordinal);
        }
    }
}
