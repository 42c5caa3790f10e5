using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.CircuitBreaking;
using SkFallback.Simulator;

namespace SkFallback.Tests.Wire;

/// <summary>The breaker and rate-limit awareness against the simulator over real HTTP, with short real times.</summary>
public class BreakerOverHttpTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _fixture;

    public BreakerOverHttpTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task PrimaryDownForAWindow_ExactlyNRequestsThenNoneThenOneProbeThenFullTraffic(WireFormat wire)
    {
        var sim = _fixture.Simulator;
        var a = $"breaker-a-{wire}-2024-01-01".ToLowerInvariant();
        var b = $"breaker-b-{wire}-2024-01-01".ToLowerInvariant();
        sim.Model(a).Always(SimulatedBehavior.ServerError(503));
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(1);
        options.CircuitBreaker.Jitter = 0;
        options.Add(_fixture.Provider("primary", a, wire));
        options.Add(_fixture.Provider("backup", b, wire));
        using var client = new FallbackChatClient(options);
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 3; i++)
        {
            await client.GetResponseAsync($"failing {i}", cancellationToken: ct);
        }

        Assert.Equal(3, sim.RequestsFor(a).Count);
        Assert.Equal(CircuitState.Open, client.GetSnapshot()[0].Circuit);

        // While open: calls keep succeeding on the backup and none reaches the primary. Then the primary recovers.
        var openedAt = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            await client.GetResponseAsync($"open {i}", cancellationToken: ct);
        }

        Assert.Equal(3, sim.RequestsFor(a).Count);
        sim.Model(a).Always(SimulatedBehavior.Ok());

        // Poll (bounded) until the break ends: the first request to reach the primary is the single probe.
        string? answeredBy = null;
        while (answeredBy != "primary" && openedAt.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50, ct);
            var response = await client.GetResponseAsync("probe?", cancellationToken: ct);
            answeredBy = (string?)response.AdditionalProperties![FallbackMetadataKeys.Provider];
        }

        Assert.Equal("primary", answeredBy);
        Assert.Equal(4, sim.RequestsFor(a).Count);
        Assert.Equal(CircuitState.Closed, client.GetSnapshot()[0].Circuit);

        for (var i = 0; i < 5; i++)
        {
            await client.GetResponseAsync($"recovered {i}", cancellationToken: ct);
        }

        Assert.Equal(9, sim.RequestsFor(a).Count);
        Assert.All(sim.RequestsFor(a).Skip(3), r => Assert.Equal(200, r.StatusCode));
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task NearlyEmptyTokenBucket_LargeRequestGoesElsewhere_PrimaryNeverAnswers429(WireFormat wire)
    {
        var sim = _fixture.Simulator;
        var a = $"bucket-a-{wire}-2024-01-01".ToLowerInvariant();
        var b = $"bucket-b-{wire}-2024-01-01".ToLowerInvariant();
        sim.Model(a).WithRateLimits(requestsPerMinute: 1000, tokensPerMinute: 10_000);
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.Add(_fixture.Provider("primary", a, wire));
        options.Add(_fixture.Provider("backup", b, wire));
        using var client = new FallbackChatClient(options);
        var ct = TestContext.Current.CancellationToken;

        // A small request succeeds and teaches the chain the primary's remaining tokens.
        await client.GetResponseAsync("hello", cancellationToken: ct);
        sim.Model(a).WithRemainingTokens(300);
        await client.GetResponseAsync("small", new Microsoft.Extensions.AI.ChatOptions { MaxOutputTokens = 50 }, ct);
        Assert.Equal(2, sim.RequestsFor(a).Count);

        var large = new string('x', 8_000);
        var response = await client.GetResponseAsync(large, new Microsoft.Extensions.AI.ChatOptions { MaxOutputTokens = 500 }, ct);

        Assert.Equal("backup", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
        var skipped = ((IReadOnlyList<FallbackAttempt>)response.AdditionalProperties[FallbackMetadataKeys.Attempts]!)[0];
        Assert.True(skipped.Skipped);
        Assert.Contains("tokens left", skipped.Detail, StringComparison.Ordinal);
        Assert.Equal(2, sim.RequestsFor(a).Count);
        Assert.DoesNotContain(sim.RequestsFor(a), r => r.StatusCode == 429);
    }
}
