using Microsoft.Extensions.AI;
using SkFallback.Simulator;

namespace SkFallback.Tests.Wire;

/// <summary>
/// Default options over HTTP: a provider that streams a word every few milliseconds and then goes silent after five
/// words is caught at the adaptive limit (the 2 s floor, not the 15 s timeout) and the caller gets the whole answer.
/// </summary>
public sealed class AdaptiveStallOverHttpTests : IClassFixture<SimulatorFixture>
{
    private const string Question = "Describe the harbour at dawn";
    private readonly SimulatorFixture _fixture;

    public AdaptiveStallOverHttpTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI)]
    public async Task Stream_FastProviderStallsAfterFiveWords_CaughtAtTheAdaptiveLimitAndAnsweredWhole(WireFormat first, WireFormat second)
    {
        var sim = _fixture.Simulator;
        var model = $"adaptive-stall-{first}-2024-01-01".ToLowerInvariant();
        const int WarmUps = 15;
        sim.Model(model)
            .WithLatency(new LatencyProfile(TimeSpan.Zero, 250, 0.2))
            .Then(SimulatedBehavior.Ok(), WarmUps)
            .Then(SimulatedBehavior.Stall(5));
        var options = new FallbackOptions();
        options.Add(_fixture.Provider("first", model, first));
        options.Add(_fixture.Provider("second", model, second));
        using var client = new FallbackChatClient(options);
        for (var i = 0; i < WarmUps; i++)
        {
            Assert.Equal(sim.ExpectedReply(model, Question), (await ReadAsync(client)).Text);
        }

        var response = await ReadAsync(client);

        Assert.Equal(sim.ExpectedReply(model, Question), response.Text);
        var attempts = (IReadOnlyList<FallbackAttempt>)response.AdditionalProperties![FallbackMetadataKeys.Attempts]!;
        Assert.Equal([FailureKind.Stalled, FailureKind.None], attempts.Select(a => a.Outcome));
        TestContext.Current.TestOutputHelper?.WriteLine($"{first}: {attempts[0].Detail}; elapsed {attempts[0].Elapsed.TotalMilliseconds:0} ms");
        Assert.Contains("(stall limit 2000 ms)", attempts[0].Detail, StringComparison.Ordinal);

        // Caught after the 2 s floor and at most one check (100 ms) later, plus the time to reach the stall.
        Assert.InRange(attempts[0].Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
    }

    private static async Task<ChatResponse> ReadAsync(IChatClient client)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question, cancellationToken: TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }
}
