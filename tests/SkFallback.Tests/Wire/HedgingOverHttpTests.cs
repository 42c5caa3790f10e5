using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Routing;
using SkFallback.Simulator;
using SkFallback.Tests.RoutingPolicies;

namespace SkFallback.Tests.Wire;

/// <summary>
/// Hedging against the simulator's heavy-tail latency profile over real HTTP with the real SDKs: the p99 falls, the
/// hedges stay inside their budget, and every loser's request is aborted at the provider.
/// </summary>
public class HedgingOverHttpTests : IClassFixture<SimulatorFixture>
{
    private static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(300);
    private readonly SimulatorFixture _fixture;

    public HedgingOverHttpTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PriceCatalog CatalogFor(params string[] models) => Prices.With(string.Join(",", models.Select(m => $$"""
        "{{m}}": { "provider": "OpenAI", "inputPerMillion": 2.5, "outputPerMillion": 10, "contextWindow": 128000, "maxOutputTokens": 4096, "qualityTier": 4 }
        """)));

    private FallbackChatClient Chain(string primary, string backup, WireFormat primaryWire, WireFormat backupWire, HedgingMode mode, double? costFraction, Action<FallbackOptions>? configure = null)
    {
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        configure?.Invoke(options);
        options.Add(_fixture.Provider("primary", primary, primaryWire));
        options.Add(_fixture.Provider("backup", backup, backupWire));
        var hedging = options.Routing.Hedging;
        hedging.Mode = mode;
        hedging.Delay = TimeSpan.FromMilliseconds(40);
        hedging.DelayFromObservedP95 = false;
        hedging.MaxExtraAttemptFraction = 1;
        hedging.MaxExtraCostFraction = costFraction;
        return new FallbackChatClient(options, priceCatalog: CatalogFor(primary, backup));
    }

    private static TimeSpan P(List<TimeSpan> sorted, double fraction) => sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static async Task<List<TimeSpan>> Run(FallbackChatClient client, int calls)
    {
        var options = new ChatOptions { MaxOutputTokens = 64 };
        var latencies = new List<TimeSpan>(calls);
        for (var i = 0; i < calls; i++)
        {
            var watch = Stopwatch.StartNew();
            var response = await client.GetResponseAsync($"Question {i}: name a colour.", options, Ct);
            latencies.Add(watch.Elapsed);
            Assert.False(string.IsNullOrEmpty(response.Text));
        }

        latencies.Sort();
        return latencies;
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI)]
    public async Task HeavyTail_HedgingCutsTheP99_InsideTheHedgeBudget_AndAbortsTheLosers(WireFormat primaryWire, WireFormat backupWire)
    {
        var sim = _fixture.Simulator;
        var tag = $"{primaryWire}-{backupWire}".ToLowerInvariant();
        string plainA = $"tail-plain-a-{tag}", plainB = $"tail-plain-b-{tag}", hedgedA = $"tail-hedged-a-{tag}", hedgedB = $"tail-hedged-b-{tag}";
        var profile = new LatencyProfile(TimeSpan.FromMilliseconds(2), 0, 0) { SlowFraction = 0.1, SlowTimeToFirstToken = Slow };
        foreach (var model in new[] { plainA, plainB, hedgedA, hedgedB })
        {
            sim.Model(model).WithLatency(profile);
        }

        using var plain = Chain(plainA, plainB, primaryWire, backupWire, HedgingMode.None, null);
        using var hedged = Chain(hedgedA, hedgedB, primaryWire, backupWire, HedgingMode.Hedged, costFraction: 1.0);

        // A few calls first: the hedge budget's cost credit is earned by primaries, and the backup's connection is made.
        await Run(hedged, 5);
        var warm = new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.PreferProvider] = "backup", [FallbackMetadataKeys.Hedging] = "none" } };
        var warmed = await hedged.GetResponseAsync("Warm up.", warm, Ct);
        Assert.Equal("backup", warmed.AdditionalProperties![FallbackMetadataKeys.Provider]);
        var warmCost = (decimal)warmed.AdditionalProperties[FallbackMetadataKeys.CostUsd]!;
        var before = hedged.Hedging;
        var withoutHedging = await Run(plain, 100);
        var withHedging = await Run(hedged, 100);
        await sim.WaitForRequestsToEndAsync(Ct);

        var p99Plain = P(withoutHedging, 0.99);
        var p99Hedged = P(withHedging, 0.99);
        TestContext.Current.TestOutputHelper?.WriteLine($"p50 {P(withoutHedging, 0.5).TotalMilliseconds:0.0} -> {P(withHedging, 0.5).TotalMilliseconds:0.0} ms; p99 {p99Plain.TotalMilliseconds:0.0} -> {p99Hedged.TotalMilliseconds:0.0} ms");
        Assert.True(p99Plain >= Slow * 0.9, $"the plain chain's p99 is {p99Plain.TotalMilliseconds} ms: the tail did not show");
        Assert.True(p99Hedged < p99Plain / 2, $"p99 with hedging {p99Hedged.TotalMilliseconds} ms, without {p99Plain.TotalMilliseconds} ms");

        // Extra spend stays inside the budget: hedges cost at most 1.0 × what the primaries cost.
        var snapshot = hedged.Hedging;
        Assert.True(snapshot.Hedges > before.Hedges, "no hedge started");
        Assert.True(snapshot.HedgeCostUsd <= snapshot.PrimaryCostUsd, $"hedges cost {snapshot.HedgeCostUsd} USD, primaries {snapshot.PrimaryCostUsd} USD");
        var ledger = Assert.IsType<SpendLedger>(hedged.Ledger);
        for (var i = 0; i < 500 && ledger.Total.CostUsd - warmCost != hedged.Hedging.HedgeCostUsd + hedged.Hedging.PrimaryCostUsd; i++)
        {
            // The losers' charges land as their requests wind down.
            await Task.Delay(10, Ct);
        }

        snapshot = hedged.Hedging;
        Assert.Equal(ledger.Total.CostUsd - warmCost, snapshot.HedgeCostUsd + snapshot.PrimaryCostUsd);

        // Every race had one loser, and the provider saw it go: its request is aborted. A loser cancelled before its
        // request left never reaches the provider (on a busy machine a hedge's request can still be leaving when the
        // primary answers); one may rarely have answered in the instant before it was cancelled.
        var requests = sim.RequestsFor(hedgedA).Concat(sim.RequestsFor(hedgedB)).ToList();
        Assert.Equal(105, requests.Count(r => r.Model == hedgedA));
        var neverSent = snapshot.Hedges + 1 - requests.Count(r => r.Model == hedgedB);
        Assert.InRange(neverSent, 0, snapshot.Hedges);
        Assert.InRange(requests.Count(r => r.Aborted) + neverSent, snapshot.Hedges - 1, snapshot.Hedges);
        Assert.All(requests.Where(r => r.Aborted && r.Model == hedgedA), r => Assert.True(r.SlowFirstToken, $"request {r.Sequence} lost the race without being slow"));
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI)]
    public async Task Streams_ThePrimaryIsSlow_TheHedgeStreamsItsFullAnswerAndThePrimaryIsAborted(WireFormat primaryWire, WireFormat backupWire)
    {
        var sim = _fixture.Simulator;
        var tag = $"{primaryWire}-{backupWire}".ToLowerInvariant();
        string slowModel = $"tail-stream-a-{tag}", fastModel = $"tail-stream-b-{tag}";
        sim.Model(slowModel).WithLatency(new LatencyProfile(TimeSpan.FromSeconds(5), 0, 0));
        sim.Model(fastModel).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(2), 2000, 0));
        using var hedged = Chain(slowModel, fastModel, primaryWire, backupWire, HedgingMode.Hedged, costFraction: null);

        var options = new ChatOptions { MaxOutputTokens = 64 };
        var direct = new FallbackOptions();
        direct.Add(_fixture.Provider("backup", fastModel, backupWire));
        using var backupOnly = new FallbackChatClient(direct);
        var expected = (await backupOnly.GetResponseAsync("Tell me about rivers.", options, Ct)).Text;

        var watch = Stopwatch.StartNew();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in hedged.GetStreamingResponseAsync("Tell me about rivers.", options, Ct))
        {
            updates.Add(update);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(expected, updates.ToChatResponse().Text);
        Assert.Equal("backup", updates[^1].AdditionalProperties![FallbackMetadataKeys.Provider]);
        await sim.WaitForRequestsToEndAsync(Ct);
        Assert.True(sim.RequestsFor(slowModel).Single().Aborted);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI)]
    public async Task Streams_CallerCancelsWhileBothRacersStream_EveryProviderRequestIsAborted(WireFormat primaryWire, WireFormat backupWire)
    {
        var sim = _fixture.Simulator;
        var tag = $"{primaryWire}-{backupWire}".ToLowerInvariant();
        string first = $"race-cancel-a-{tag}", second = $"race-cancel-b-{tag}";

        // Both stream slowly (20 tokens a second) and the commit point is far, so neither wins before the caller leaves.
        var slow = new LatencyProfile(TimeSpan.FromMilliseconds(5), 20, 0);
        sim.Model(first).WithLatency(slow);
        sim.Model(second).WithLatency(slow);
        using var client = Chain(first, second, primaryWire, backupWire, HedgingMode.Parallel, costFraction: null, o =>
        {
            o.Streaming.CommitChunks = 100;
            o.Streaming.CommitDelay = TimeSpan.FromSeconds(30);
        });
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var received = 0;
        var reading = Task.Run(
            async () =>
            {
                await foreach (var update in client.GetStreamingResponseAsync("Tell me about rivers.", new ChatOptions { MaxOutputTokens = 200 }, caller.Token))
                {
                    received++;
                }
            },
            Ct);
        for (var i = 0; i < 500 && !(sim.RequestsFor(first).Any(r => r.ContentTokensSent > 0) && sim.RequestsFor(second).Any(r => r.ContentTokensSent > 0)); i++)
        {
            await Task.Delay(10, Ct);
        }

        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        await sim.WaitForRequestsToEndAsync(Ct);

        Assert.Equal(0, received);
        var requests = sim.RequestsFor(first).Concat(sim.RequestsFor(second)).ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.True(r.Aborted && r.ContentTokensSent > 0, $"{r.Model}: aborted {r.Aborted}, {r.ContentTokensSent} tokens sent"));
    }
}
