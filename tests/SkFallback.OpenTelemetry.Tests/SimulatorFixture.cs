using SkFallback.Simulator;

namespace SkFallback.OpenTelemetry.Tests;

/// <summary>One simulator shared by a test class; each test uses its own model ids, so tests do not interfere.</summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    public const string OpenAIKey = "sk-otel-openai-key-0123456789";
    public const string AnthropicKey = "sk-ant-otel-key-0123456789";

    private ProviderSimulator? _simulator;

    public ProviderSimulator Simulator => _simulator ?? throw new InvalidOperationException("The simulator has not started.");

    public async ValueTask InitializeAsync() => _simulator = await ProviderSimulator.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }

    /// <summary>A provider on the simulator speaking the given wire.</summary>
    public ProviderOptions Provider(string name, string model, WireFormat wire) => wire == WireFormat.OpenAI
        ? new ProviderOptions { Name = name, Kind = ProviderKinds.OpenAI, Model = model, ApiKey = OpenAIKey, Endpoint = Simulator.OpenAIEndpoint }
        : new ProviderOptions { Name = name, Kind = ProviderKinds.Anthropic, Model = model, ApiKey = AnthropicKey, Endpoint = Simulator.AnthropicEndpoint };
}
