using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SkFallback.CircuitBreaking;
using SkFallback.Health;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.CircuitBreaking;

/// <summary>The breaker inside a chain, with fake providers and a fake clock.</summary>
public class BreakerChainTests
{
    private static (FallbackChatClient Client, FakeTimeProvider Time) Chain(TestChatClient a, TestChatClient b)
    {
        var time = new FakeTimeProvider();
        var options = Tests.Chain.Options(a, b);
        options.MaxRetriesPerProvider = 0;
        options.CircuitBreaker.Jitter = 0;
        return (new FallbackChatClient(options, timeProvider: time), time);
    }

    [Fact]
    public async Task OpenBreaker_ProviderIsNotCalledWhileOpen_ThenOneProbeClosesIt()
    {
        var down = true;
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => down ? throw Tests.Chain.Status(503) : Task.FromResult(TestChatClient.Answer("a")) };
        var b = new TestChatClient("b");
        var (client, time) = Chain(a, b);
        using var _ = client;
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 3; i++)
        {
            await client.GetResponseAsync("hi", cancellationToken: ct);
        }

        Assert.Equal(3, a.Calls);
        var whileOpen = await client.GetResponseAsync("hi", cancellationToken: ct);
        Assert.Equal(3, a.Calls);
        var skipped = Tests.Chain.AttemptsOf(whileOpen)[0];
        Assert.Equal(FailureKind.CircuitOpen, skipped.Outcome);
        Assert.True(skipped.Skipped);

        down = false;
        time.Advance(TimeSpan.FromSeconds(30));
        var probe = await client.GetResponseAsync("hi", cancellationToken: ct);
        Assert.Equal("a", probe.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Equal(CircuitState.Closed, client.GetSnapshot()[0].Circuit);
        Assert.Equal(4, a.Calls);
    }

    [Fact]
    public async Task OpenBreaker_EverythingElseFails_OpenProviderIsTriedLast()
    {
        var aDown = true;
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => aDown ? throw Tests.Chain.Status(500) : Task.FromResult(TestChatClient.Answer("a")) };
        // b refuses: a failure that falls back but does not count, so only a's breaker opens.
        var b = new TestChatClient("b")
        {
            OnResponse = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "I'm sorry, but I can't help with that.")) { FinishReason = ChatFinishReason.Stop }),
        };
        var (client, _) = Chain(a, b);
        using var _ = client;
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<FallbackExhaustedException>(() => client.GetResponseAsync("hi", cancellationToken: ct));
        }

        aDown = false;
        var response = await client.GetResponseAsync("hi", cancellationToken: ct);

        Assert.Equal("answer from a", response.Text);
        var attempts = Tests.Chain.AttemptsOf(response);
        Assert.Equal([("a", FailureKind.CircuitOpen), ("b", FailureKind.Refusal), ("a", FailureKind.None)], attempts.Select(x => (x.Provider, x.Outcome)));
        Assert.Equal(CircuitState.Closed, client.GetSnapshot()[0].Circuit);
    }

    [Fact]
    public async Task RefusalsAndCallerErrors_DoNotOpenTheBreaker()
    {
        var a = new TestChatClient("a")
        {
            OnResponse = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "I'm sorry, but I can't help with that.")) { FinishReason = ChatFinishReason.Stop }),
        };
        var (client, _) = Chain(a, new TestChatClient("b"));
        using var _ = client;
        for (var i = 0; i < 5; i++)
        {
            await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(5, a.Calls);
        Assert.Equal(CircuitState.Closed, client.GetSnapshot()[0].Circuit);
    }

    [Fact]
    public async Task Snapshot_ReportsErrorRateLatencyAndLastFailure()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        var a = new TestChatClient("a")
        {
            OnResponse = async (_, _, ct) =>
            {
                await Task.Yield();
                time.Advance(TimeSpan.FromMilliseconds(100));
                return ++calls % 4 == 0 ? throw Tests.Chain.Status(500) : TestChatClient.Answer("a");
            },
        };
        var options = Tests.Chain.Options(a, new TestChatClient("b"));
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options, timeProvider: time);
        for (var i = 0; i < 8; i++)
        {
            await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
        }

        var health = client.GetService<IProviderHealth>()!.GetSnapshot();

        var primary = health[0];
        Assert.Equal("a", primary.Provider);
        Assert.Equal(8, primary.Attempts);
        Assert.Equal(0.25, primary.ErrorRate);
        Assert.Equal(TimeSpan.FromMilliseconds(100), primary.LatencyP50);
        Assert.Equal(TimeSpan.FromMilliseconds(100), primary.LatencyP95);
        Assert.Equal(FailureKind.ServerError, primary.LastFailure);
        Assert.Equal(CircuitState.Closed, primary.Circuit);
        Assert.Equal(2, health[1].Attempts);
    }

    [Fact]
    public void Percentile_NearestRank()
    {
        long[] sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

        Assert.Equal(TimeSpan.FromTicks(50), ProviderHealthWindow.Percentile(sorted, 0.5));
        Assert.Equal(TimeSpan.FromTicks(100), ProviderHealthWindow.Percentile(sorted, 0.95));
        Assert.Null(ProviderHealthWindow.Percentile([], 0.5));
    }

    [Theory]
    [InlineData("1s", 1000)]
    [InlineData("6m0s", 360000)]
    [InlineData("20ms", 20)]
    [InlineData("1.5s", 1500)]
    [InlineData("1h2m3s", 3723000)]
    public void ParseDuration_GoStyle(string text, double expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Providers.HttpExchange.ParseDuration(text));
    }
}
