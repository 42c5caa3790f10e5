using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Cost;
using SkFallback.Routing;
using SkFallback.Tests.Fakes;
using SkFallback.Tests.RoutingPolicies;

namespace SkFallback.Tests.Hedging;

/// <summary>Hedged and parallel streams on a fake clock: the first stream to commit wins and what the losers held never reaches the caller.</summary>
public class HedgedStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Streams <paramref name="words"/>, waiting <paramref name="first"/> before the first and <paramref name="gap"/> between the others, then stalls forever after <paramref name="stallAfter"/> words (when set).</summary>
    private static async IAsyncEnumerable<ChatResponseUpdate> Timed(
        TimeProvider time, string[] words, TimeSpan first, TimeSpan gap, int stallAfter, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Delay(first, time, ct);
        for (var i = 0; i < words.Length; i++)
        {
            if (i == stallAfter)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }

            if (i > 0 && gap > TimeSpan.Zero)
            {
                await Task.Delay(gap, time, ct);
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? words[i] : " " + words[i]);
        }

        yield return new ChatResponseUpdate
        {
            FinishReason = ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = 50, OutputTokenCount = words.Length })],
        };
    }

    private static string[] Words(string who, int count) => Enumerable.Range(1, count).Select(i => $"{who}{i}").ToArray();

    private static TestChatClient Streamer(string name, TimeProvider time, TimeSpan first, TimeSpan gap, int words = 12, int stallAfter = -1, List<CancellationToken>? tokens = null) => new(name)
    {
        OnStreaming = (_, _, ct) =>
        {
            if (tokens is not null)
            {
                lock (tokens)
                {
                    tokens.Add(ct);
                }
            }

            return Timed(time, Words(name, words), first, gap, stallAfter, ct);
        },
    };

    private static FallbackChatClient Chain3(FakeTimeProvider time, Action<HedgingOptions> configure, out SpendLedger ledger, params TestChatClient[] clients)
    {
        var options = Chain.Options(clients);
        options.MaxRetriesPerProvider = 0;
        options.AttemptTimeout = TimeSpan.FromMinutes(5);
        options.FirstTokenTimeout = TimeSpan.FromMinutes(5);
        options.Streaming.StallTimeout = TimeSpan.FromMinutes(5);
        options.Streaming.CommitDelay = TimeSpan.FromMinutes(1);
        var hedging = options.Routing.Hedging;
        hedging.Mode = HedgingMode.Hedged;
        hedging.Delay = TimeSpan.FromMilliseconds(500);
        hedging.DelayFromObservedP95 = false;
        hedging.MaxExtraAttemptFraction = 1;
        configure(hedging);
        ledger = new SpendLedger(time);
        return new FallbackChatClient(options, timeProvider: time, priceCatalog: Prices.Catalog, ledger: ledger);
    }

    private static async Task<List<ChatResponseUpdate>> Collect(IAsyncEnumerable<ChatResponseUpdate> stream)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in stream)
        {
            updates.Add(update);
        }

        return updates;
    }

    /// <summary>Advances the fake clock in steps until the task completes.</summary>
    private static async Task<T> Drive<T>(FakeTimeProvider time, Task<T> task, TimeSpan step, int maxSteps = 2000)
    {
        for (var i = 0; i < maxSteps && !task.IsCompleted; i++)
        {
            await Task.Yield();
            time.Advance(step);
            await Task.WhenAny(task, Task.Delay(1, Ct));
        }

        return await task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 5000 && !condition(); i++)
        {
            await Task.Delay(1, Ct);
        }

        Assert.True(condition(), "the condition did not become true within 5 s");
    }

    private static IReadOnlyList<FallbackAttempt> AttemptsOf(List<ChatResponseUpdate> updates) =>
        (IReadOnlyList<FallbackAttempt>)updates[^1].AdditionalProperties![FallbackMetadataKeys.Attempts]!;

    [Fact]
    public async Task Hedged_PrimaryHasNoFirstTokenByTheDelay_TheHedgeStreamsTheAnswer()
    {
        var time = new FakeTimeProvider();
        var tokens = new List<CancellationToken>();
        var big = Streamer("big", time, TimeSpan.FromSeconds(30), TimeSpan.Zero, tokens: tokens);
        var mid = Streamer("mid", time, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(1));
        using var client = Chain3(time, _ => { }, out var ledger, big, mid);

        var updates = await Drive(time, Collect(client.GetStreamingResponseAsync("hi", cancellationToken: Ct)), TimeSpan.FromMilliseconds(5));

        Assert.Equal(string.Join(' ', Words("mid", 12)), updates.ToChatResponse().Text);
        Assert.Equal("mid", updates[^1].AdditionalProperties![FallbackMetadataKeys.Provider]);
        var attempts = AttemptsOf(updates);
        Assert.Equal([("big", FailureKind.Cancelled), ("mid", FailureKind.None)], attempts.Select(a => (a.Provider, a.Outcome)));
        await WaitUntil(() => tokens.Count == 1 && tokens[0].IsCancellationRequested);
        Assert.Equal(1, client.Hedging.Hedges);
    }

    [Fact]
    public async Task Hedged_FirstStreamToCommitWins_WhatTheLoserHeldNeverReachesTheCaller()
    {
        var time = new FakeTimeProvider();
        var tokens = new List<CancellationToken>();

        // The primary starts at once but stalls after 3 words, inside the 8-update commit buffer.
        var big = Streamer("big", time, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(1), stallAfter: 3, tokens: tokens);
        var mid = Streamer("mid", time, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(1));
        using var client = Chain3(time, _ => { }, out var ledger, big, mid);

        var updates = await Drive(time, Collect(client.GetStreamingResponseAsync("hi", cancellationToken: Ct)), TimeSpan.FromMilliseconds(5));

        var text = updates.ToChatResponse().Text;
        Assert.Equal(string.Join(' ', Words("mid", 12)), text);
        Assert.DoesNotContain("big", text, StringComparison.Ordinal);
        await WaitUntil(() => tokens[0].IsCancellationRequested);

        // The loser is charged the prompt and the three updates it held.
        await WaitUntil(() => ledger.Recent.Count == 2);
        var loser = ledger.Recent.Single(r => r.Provider == "big");
        Assert.Equal((FailureKind.Cancelled, 3L, false), (loser.Outcome, loser.OutputTokens, loser.Reported));
        var winner = ledger.Recent.Single(r => r.Provider == "mid");
        Assert.Equal((FailureKind.None, 12L, true), (winner.Outcome, winner.OutputTokens, winner.Reported));
        await WaitUntil(() => client.Hedging.HedgeCostUsd > 0);
        Assert.Equal(loser.CostUsd, client.Hedging.PrimaryCostUsd);
        Assert.Equal(winner.CostUsd, client.Hedging.HedgeCostUsd);
    }

    [Fact]
    public async Task Parallel_ARacerFailsInsideTheBuffer_TheOtherWinsInvisibly()
    {
        var time = new FakeTimeProvider();
        var big = new TestChatClient("big") { OnStreaming = (_, _, ct) => TestChatClient.Words(ct, ["bad", "start"], finish: false, throwAfter: new HttpRequestException("connection reset")) };
        var mid = Streamer("mid", time, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(1));
        var small = Streamer("small", time, TimeSpan.Zero, TimeSpan.Zero);
        using var client = Chain3(time, h => h.Mode = HedgingMode.Parallel, out _, big, mid, small);

        var updates = await Drive(time, Collect(client.GetStreamingResponseAsync("hi", cancellationToken: Ct)), TimeSpan.FromMilliseconds(5));

        Assert.Equal(string.Join(' ', Words("mid", 12)), updates.ToChatResponse().Text);
        Assert.Equal([("big", FailureKind.ConnectionFailure), ("mid", FailureKind.None)], AttemptsOf(updates).Select(a => (a.Provider, a.Outcome)));
        Assert.Equal(0, small.Calls);
    }

    [Fact]
    public async Task Parallel_TheWinnerBreaksAfterCommit_TheNextCandidateContinuesIt()
    {
        var time = new FakeTimeProvider();
        var tokens = new List<CancellationToken>();
        var big = Streamer("big", time, TimeSpan.FromSeconds(30), TimeSpan.Zero, tokens: tokens);

        // Ten words, past the commit point, then the connection drops.
        var mid = new TestChatClient("mid") { OnStreaming = (_, _, ct) => TestChatClient.Words(ct, Words("mid", 10), finish: false, throwAfter: new HttpRequestException("connection reset")) };
        var small = Streamer("small", time, TimeSpan.Zero, TimeSpan.Zero, words: 3);
        using var client = Chain3(time, h => h.Mode = HedgingMode.Parallel, out _, big, mid, small);

        var updates = await Drive(time, Collect(client.GetStreamingResponseAsync("hi", cancellationToken: Ct)), TimeSpan.FromMilliseconds(5));

        var text = updates.ToChatResponse().Text;
        Assert.StartsWith(string.Join(' ', Words("mid", 10)), text, StringComparison.Ordinal);
        Assert.EndsWith("small3", text, StringComparison.Ordinal);
        Assert.Equal(["mid", "small"], (IEnumerable<string>)updates[^1].AdditionalProperties![FallbackMetadataKeys.ContinuedFrom]!);
        Assert.Equal(1, small.Calls);
        Assert.Contains("continue", small.ReceivedMessages[0].Last().Text, StringComparison.OrdinalIgnoreCase);
        await WaitUntil(() => tokens[0].IsCancellationRequested);
    }

    [Fact]
    public async Task Hedged_CallerCancelsDuringTheRace_EveryStreamIsCancelled()
    {
        var time = new FakeTimeProvider();
        var tokens = new List<CancellationToken>();
        var big = Streamer("big", time, TimeSpan.FromSeconds(30), TimeSpan.Zero, tokens: tokens);
        var mid = Streamer("mid", time, TimeSpan.FromSeconds(30), TimeSpan.Zero, tokens: tokens);
        using var client = Chain3(time, _ => { }, out _, big, mid);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var task = Collect(client.GetStreamingResponseAsync("hi", cancellationToken: caller.Token));
        await WaitUntil(() => tokens.Count == 1);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await WaitUntil(() => tokens.Count == 2);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        await WaitUntil(() => tokens.TrueForAll(t => t.IsCancellationRequested));
    }

    [Fact]
    public async Task Hedged_StreamsHedgeAtThePrimarysObservedFirstTokenP95()
    {
        var time = new FakeTimeProvider();
        var slow = false;
        var big = new TestChatClient("big") { OnStreaming = (_, _, ct) => Timed(time, Words("big", 3), slow ? TimeSpan.FromMinutes(1) : TimeSpan.FromMilliseconds(80), TimeSpan.Zero, -1, ct) };
        var mid = Streamer("mid", time, TimeSpan.Zero, TimeSpan.Zero, words: 3);
        using var client = Chain3(time, h => { h.DelayFromObservedP95 = true; h.Delay = TimeSpan.FromSeconds(20); }, out _, big, mid);

        for (var i = 0; i < 10; i++)
        {
            var warm = await Drive(time, Collect(client.GetStreamingResponseAsync("hi", cancellationToken: Ct)), TimeSpan.FromMilliseconds(10));
            Assert.Equal("big1 big2 big3", warm.ToChatResponse().Text);
        }

        slow = true;
        var task = Collect(client.GetStreamingResponseAsync("hi", cancellationToken: Ct));
        await WaitUntil(() => big.Calls == 11);
        time.Advance(TimeSpan.FromMilliseconds(79));
        await Task.Yield();
        Assert.Equal(0, mid.Calls);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("mid1 mid2 mid3", (await task.WaitAsync(TimeSpan.FromSeconds(10), Ct)).ToChatResponse().Text);
    }
}
