using Microsoft.Extensions.AI;
using SkFallback.Events;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Events;

/// <summary>Which calls the event log keeps: rates hold within binomial bounds; every fallback is kept at the defaults.</summary>
public class FallbackEventSamplingTests
{
    private const int Calls = 10_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static FallbackEventLog Log(MemoryEventSink sink, Action<FallbackEventOptions>? configure = null)
    {
        var options = new FallbackEventOptions { Enabled = true, QueueCapacity = 1_000_000 };
        configure?.Invoke(options);
        return new FallbackEventLog(options, sink);
    }

    /// <summary>Asserts a count of Bernoulli(p) successes over n trials is within 5 standard deviations of n·p (false alarm about 1 in 1.7 million).</summary>
    private static void WithinBinomialBounds(int count, int n, double p)
    {
        var mean = n * p;
        var bound = 5 * Math.Sqrt(n * p * (1 - p));
        Assert.InRange(count, (int)Math.Floor(mean - bound), (int)Math.Ceiling(mean + bound));
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    public async Task HealthyCalls_SampleRate_HoldsWithinBinomialBounds(double rate)
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink, o => o.SampleRate = rate);
        using var client = new FallbackChatClient(Chain.Options(new TestChatClient("a")), eventLog: log);

        for (var i = 0; i < Calls; i++)
        {
            await client.GetResponseAsync("hi", cancellationToken: Ct);
        }

        await log.FlushAsync(Ct);
        Assert.Equal(0, log.Dropped);
        WithinBinomialBounds(sink.Events.Count, Calls, rate);
        Assert.All(sink.Events, e => Assert.Equal(FallbackEventOutcome.Answered, e.Outcome));
        Assert.All(sink.Events, e => Assert.Equal(rate, e.SampleRate));
    }

    [Fact]
    public async Task FallbackCalls_FallbackSampleRate_HoldsWithinBinomialBounds()
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink, o => o.FallbackSampleRate = 0.25);
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => Task.FromException<ChatResponse>(Chain.Status(404)) };
        using var client = new FallbackChatClient(Chain.Options(a, new TestChatClient("b")), eventLog: log);

        for (var i = 0; i < Calls; i++)
        {
            await client.GetResponseAsync("hi", cancellationToken: Ct);
        }

        await log.FlushAsync(Ct);
        WithinBinomialBounds(sink.Events.Count, Calls, 0.25);
        Assert.All(sink.Events, e => Assert.Equal(FallbackEventOutcome.FellBack, e.Outcome));
    }

    [Fact]
    public async Task PerTenantRates_OverrideTheLogs_EachWithinBinomialBounds()
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink, o =>
        {
            o.SampleRate = 0.02;
            o.Tenants["acme"] = new FallbackEventTenantOptions { SampleRate = 0.3 };
        });
        using var client = new FallbackChatClient(Chain.Options(new TestChatClient("a")), eventLog: log);
        var acme = new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.Tenant] = "ACME" } };
        var other = new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.Tenant] = "globex" } };

        for (var i = 0; i < Calls; i++)
        {
            await client.GetResponseAsync("hi", i % 2 == 0 ? acme : other, Ct);
        }

        await log.FlushAsync(Ct);
        WithinBinomialBounds(sink.Events.Count(e => e.Tenant == "ACME"), Calls / 2, 0.3);
        WithinBinomialBounds(sink.Events.Count(e => e.Tenant == "globex"), Calls / 2, 0.02);
    }

    [Fact]
    public async Task Defaults_EveryFallbackAndExhaustedCallIsLogged_HealthyOnesAtOnePercent()
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink);
        var failing = 0;
        var a = new TestChatClient("a")
        {
            OnResponse = (_, _, _) => Interlocked.Increment(ref failing) % 3 == 0 ? Task.FromResult(TestChatClient.Answer("a")) : Task.FromException<ChatResponse>(Chain.Status(404)),
        };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.CircuitBreaker.Enabled = false;
        using var client = new FallbackChatClient(options, eventLog: log);
        var fellBack = 0;
        for (var i = 0; i < 3_000; i++)
        {
            var response = await client.GetResponseAsync("hi", cancellationToken: Ct);
            fellBack += Chain.AttemptsOf(response).Count > 1 ? 1 : 0;
        }

        b.OnResponse = (_, _, _) => Task.FromException<ChatResponse>(Chain.Status(500));
        a.OnResponse = (_, _, _) => Task.FromException<ChatResponse>(Chain.Status(404));
        for (var i = 0; i < 50; i++)
        {
            await Assert.ThrowsAsync<FallbackExhaustedException>(() => client.GetResponseAsync("hi", cancellationToken: Ct));
        }

        await log.FlushAsync(Ct);
        Assert.Equal(2_000, fellBack);
        Assert.Equal(fellBack, sink.Events.Count(e => e.Outcome == FallbackEventOutcome.FellBack));
        Assert.Equal(50, sink.Events.Count(e => e.Outcome == FallbackEventOutcome.Exhausted));
        WithinBinomialBounds(sink.Events.Count(e => e.Outcome == FallbackEventOutcome.Answered), 1_000, 0.01);
        Assert.All(sink.Events.Where(e => e.Outcome != FallbackEventOutcome.Answered), e => Assert.Equal(1.0, e.SampleRate));
    }

    [Fact]
    public void Sampler_RatesZeroAndOne_DrawNothing()
    {
        var draws = 0;
        var sampler = new FallbackEventSampler(new FallbackEventOptions(), () => { draws++; return 0.5; });

        Assert.True(sampler.Draw(1));
        Assert.False(sampler.Draw(0));
        Assert.Equal(0, draws);
        Assert.Equal(1.0, sampler.RateOf(FallbackEventOutcome.Continued, null));
        Assert.Equal(0.01, sampler.RateOf(FallbackEventOutcome.Cancelled, "t"));
    }
}
