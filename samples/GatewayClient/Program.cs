using System.Net;
using System.Net.Sockets;
using GatewayClient;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using SkFallback;
using SkFallback.Anthropic;
using SkFallback.Proxy;
using SkFallback.Simulator;

// The two-layer failsafe, offline: the provider simulator, the gateway in front of it, and an app chain
// gateway → direct OpenAI → direct Anthropic. The gateway goes down mid-run and comes back; the app keeps answering.
const string GatewayKey = "sk-skf-gateway-client-sample-key";
var breakDuration = TimeSpan.FromSeconds(args.Contains("--fast") ? 1 : 3);

await using var simulator = await ProviderSimulator.StartAsync(new SimulatorOptions());
var port = FreePort();
var gateway = await StartGatewayAsync(simulator, port);
var options = FailsafeChain.Create(new Uri($"http://127.0.0.1:{port}/v1/"), GatewayKey, "default",
    (simulator.OpenAIEndpoint, "sim-openai-key", "gpt-4o-mini-2024-07-18"),
    (simulator.AnthropicEndpoint, "sim-anthropic-key", "claude-haiku-4-5-20251001"), breakDuration);
using IChatClient app = new FallbackChatClient(options, [new AnthropicProviderClientFactory()], NullLoggerFactory.Instance);

var failed = 0;
async Task TurnAsync(string label, string expected)
{
    var response = await app.GetResponseAsync([new ChatMessage(ChatRole.User, "What is the capital of France?")]);
    var provider = response.AdditionalProperties?[FallbackMetadataKeys.Provider] as string ?? "?";
    var ok = provider == expected && response.Text.Length > 0;
    failed += ok ? 0 : 1;
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {label,-44} answered by {provider,-16} (expected {expected})");
}

Console.WriteLine($"gateway on http://127.0.0.1:{port}/v1/, break {breakDuration.TotalSeconds:0} s");
await TurnAsync("gateway up", FailsafeChain.Gateway);
await TurnAsync("gateway up", FailsafeChain.Gateway);
await gateway.DisposeAsync();
Console.WriteLine("-- gateway stopped");
await TurnAsync("gateway down: connection refused, next", FailsafeChain.DirectOpenAI);
await TurnAsync("gateway down: breaker open, skipped", FailsafeChain.DirectOpenAI);
gateway = await StartGatewayAsync(simulator, port);
Console.WriteLine("-- gateway started again");
await TurnAsync("gateway back, breaker still open", FailsafeChain.DirectOpenAI);
await Task.Delay(breakDuration + TimeSpan.FromMilliseconds(200)); // the demo waits out the break on the real clock
await TurnAsync("after the break: the probe", FailsafeChain.Gateway);
await TurnAsync("breaker closed", FailsafeChain.Gateway);
await gateway.DisposeAsync();
Console.WriteLine(failed == 0 ? "all checks passed" : $"{failed} checks failed");
return failed == 0 ? 0 : 1;

static Task<GatewayServer> StartGatewayAsync(ProviderSimulator simulator, int port) => GatewayServer.StartAsync(new GatewayStartOptions
{
    Args = ["--urls", $"http://127.0.0.1:{port}"],
    Simulator = simulator,
    Configuration = new Dictionary<string, string?> { ["SkFallback:Proxy:DevelopmentKey"] = GatewayKey },
    ConsoleLogging = false,
});

static int FreePort()
{
    var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}
