using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Simulator;

namespace SkFallback.Tests.Wire;

/// <summary>Retry-After skipping and the chain deadline against the simulator, with short real times.</summary>
public class TimingOverHttpTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _fixture;

    public TimingOverHttpTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task RetryAfterHeader_SkipsProviderUntilItPasses(WireFormat wire)
    {
        var sim = _fixture.Simulator;
        var a = $"retry-after-a-{wire}-2024-01-01".ToLowerInvariant();
        var b = $"retry-after-b-{wire}-2024-01-01".ToLowerInvariant();
        sim.Model(a).Then(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(1)));

        // With no default cooldown, only the provider's Retry-After header can keep it out.
        var options = new FallbackOptions { DefaultRateLimitCooldown = TimeSpan.Zero };
        options.Add(_fixture.Provider("primary", a, wire));
        options.Add(_fixture.Provider("backup", b, wire));
        using var client = new FallbackChatClient(options);
        var ct = TestContext.Current.CancellationToken;

        var first = await client.GetResponseAsync("one", cancellationToken: ct);
        var second = await client.GetResponseAsync("two", cancellationToken: ct);

        Assert.Equal("backup", first.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Equal("backup", second.AdditionalProperties![FallbackMetadataKeys.Provider]);
        var skipped = ((IReadOnlyList<FallbackAttempt>)second.AdditionalProperties[FallbackMetadataKeys.Attempts]!)[0];
        Assert.True(skipped.Skipped);
        Assert.Equal(FailureKind.CoolingDown, skipped.Outcome);
        Assert.Single(sim.RequestsFor(a));

        // Once Retry-After has passed the primary is back; poll with a bound rather than sleeping a fixed time.
        var clock = Stopwatch.StartNew();
        ChatResponse third;
        do
        {
            await Task.Delay(100, ct);
            third = await client.GetResponseAsync("three", cancellationToken: ct);
        }
        while ((string?)third.AdditionalProperties![FallbackMetadataKeys.Provider] != "primary" && clock.Elapsed < TimeSpan.FromSeconds(5));

        Assert.Equal("primary", third.AdditionalProperties[FallbackMetadataKeys.Provider]);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));
        Assert.Equal(2, sim.RequestsFor(a).Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deadline_HangingProviders_EndsTheChainAtTheDeadline(bool streaming)
    {
        var sim = _fixture.Simulator;
        var a = $"deadline-a-{streaming}-2024-01-01".ToLowerInvariant();
        var b = $"deadline-b-{streaming}-2024-01-01".ToLowerInvariant();
        var c = $"deadline-c-{streaming}-2024-01-01".ToLowerInvariant();
        sim.Model(a).Always(SimulatedBehavior.Hang());
        sim.Model(b).Always(SimulatedBehavior.Hang());
        var options = new FallbackOptions
        {
            AttemptTimeout = TimeSpan.FromMilliseconds(400),
            FirstTokenTimeout = TimeSpan.FromMilliseconds(400),

            // Wide enough that a loaded machine still times the first attempt out well before the deadline.
            Deadline = TimeSpan.FromMilliseconds(1500),
        };
        options.Add(_fixture.Provider("a", a, WireFormat.OpenAI));
        var slow = _fixture.Provider("b", b, WireFormat.Anthropic);
        slow.AttemptTimeout = slow.FirstTokenTimeout = TimeSpan.FromSeconds(10);
        options.Add(slow);
        options.Add(_fixture.Provider("c", c, WireFormat.OpenAI));
        using var client = new FallbackChatClient(options);
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(async () =>
        {
            if (streaming)
            {
                await foreach (var _ in client.GetStreamingResponseAsync("hi", cancellationToken: ct))
                {
                }
            }
            else
            {
                await client.GetResponseAsync("hi", cancellationToken: ct);
            }
        });

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(1450), TimeSpan.FromSeconds(5));
        Assert.Equal(streaming ? FailureKind.FirstTokenTimeout : FailureKind.Timeout, exception.Attempts[0].Outcome);
        Assert.Equal(FailureKind.DeadlineExceeded, exception.Attempts[1].Outcome);
        Assert.Empty(sim.RequestsFor(c));
    }
}
