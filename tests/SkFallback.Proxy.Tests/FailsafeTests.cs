using GatewayClient;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Anthropic;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>
/// The two-layer failsafe of <c>samples/GatewayClient</c>: an app chain gateway → direct OpenAI → direct Anthropic. The
/// gateway is killed mid-run: calls continue directly (its breaker opens on the refused connection, then it is
/// skipped without a connection); it comes back, and after the break (a fake clock, no sleep) one probe returns the
/// calls to it.
/// </summary>
public sealed class FailsafeTests
{
    private const string Key = "sk-skf-failsafe-test-key-0123";
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GatewayKilledMidRun_CallsContinueDirectly_ThenReturnToTheGatewayAfterTheProbe()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: Ct);
        var port = RedisServerProcessPort();
        var gateway = await StartGatewayAsync(simulator, port);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = FailsafeChain.Create(new Uri($"http://127.0.0.1:{port}/v1/"), Key, "default",
            (simulator.OpenAIEndpoint, "sim-openai-key", "gpt-4o-mini-2024-07-18"),
            (simulator.AnthropicEndpoint, "sim-anthropic-key", "claude-haiku-4-5-20251001"), Break);
        using IChatClient app = new FallbackChatClient(options, [new AnthropicProviderClientFactory()], NullLoggerFactory.Instance, clock);

        try
        {
            Assert.Equal(FailsafeChain.Gateway, (await AskAsync(app)).Provider);
            var viaGateway = simulator.Requests.Count;
            Assert.Equal(1, viaGateway);

            await gateway.DisposeAsync();

            // Down: the refused connection opens the gateway's breaker and the direct provider answers the same call.
            var down = await AskAsync(app);
            Assert.Equal(FailsafeChain.DirectOpenAI, down.Provider);
            Assert.Contains(down.Attempts, a => a.Provider == FailsafeChain.Gateway && a.Outcome == FailureKind.ConnectionFailure);

            // Open: skipped without a connection, as long as the break lasts, even once the gateway is back.
            gateway = await StartGatewayAsync(simulator, port);
            var skipped = await AskAsync(app);
            Assert.Equal(FailsafeChain.DirectOpenAI, skipped.Provider);
            Assert.Contains(skipped.Attempts, a => a.Provider == FailsafeChain.Gateway && a.Skipped);
            clock.Advance(Break - TimeSpan.FromSeconds(1));
            Assert.Equal(FailsafeChain.DirectOpenAI, (await AskAsync(app)).Provider);

            // After the break one probe goes to the gateway; it answers, the breaker closes, calls stay there.
            clock.Advance(TimeSpan.FromSeconds(2));
            var before = simulator.Requests.Count;
            Assert.Equal(FailsafeChain.Gateway, (await AskAsync(app)).Provider);
            Assert.Equal(FailsafeChain.Gateway, (await AskAsync(app)).Provider);
            Assert.Equal(before + 2, simulator.Requests.Count);
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    private static async Task<(string? Provider, IReadOnlyList<FallbackAttempt> Attempts)> AskAsync(IChatClient app)
    {
        var response = await app.GetResponseAsync([new ChatMessage(ChatRole.User, "What is the capital of France?")], cancellationToken: Ct);
        Assert.False(string.IsNullOrEmpty(response.Text));
        var properties = response.AdditionalProperties!;
        return (properties[FallbackMetadataKeys.Provider] as string,
            properties.TryGetValue(FallbackMetadataKeys.Attempts, out var attempts) ? (IReadOnlyList<FallbackAttempt>)attempts! : []);
    }

    private static int RedisServerProcessPort() => SkFallback.Redis.Tests.RedisServerProcess.FreePort();

    private static Task<GatewayServer> StartGatewayAsync(ProviderSimulator simulator, int port) => GatewayServer.StartAsync(new GatewayStartOptions
    {
        Args = ["--urls", $"http://127.0.0.1:{port}"],
        Simulator = simulator,
        Configuration = new Dictionary<string, string?> { ["SkFallback:Proxy:DevelopmentKey"] = Key },
        ConsoleLogging = false,
    }, Ct);
}
