using SkFallback;
using SkFallback.Simulator;

namespace ConsoleAgent;

/// <summary>
/// The provider simulator with three providers on it, and the faults each scripted turn stages. The models are ones the
/// shipped price catalog lists, so every answer is priced at real catalog prices (the simulator reports usage).
/// </summary>
internal sealed class OfflineStage : IAsyncDisposable
{
    public const string PrimaryModel = "gpt-4o-2024-08-06";
    public const string BackupModel = "claude-haiku-4-5-20251001";
    public const string BudgetModel = "gpt-4o-mini-2024-07-18";

    /// <summary>How long the primary's 429 keeps it out: short, so it comes back within the demo.</summary>
    public static readonly TimeSpan PrimaryRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>How long an opened breaker stays open offline (±20% jitter); real providers keep the 30 s default.</summary>
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(2);

    private bool _outage;

    private OfflineStage(ProviderSimulator simulator)
    {
        Simulator = simulator;
        Providers =
        [
            new ProviderOptions { Name = "openai", Kind = ProviderKinds.OpenAI, Model = PrimaryModel, ApiKey = "sim-openai-key", Endpoint = simulator.OpenAIEndpoint },
            new ProviderOptions { Name = "anthropic", Kind = ProviderKinds.Anthropic, Model = BackupModel, ApiKey = "sim-anthropic-key", Endpoint = simulator.AnthropicEndpoint },
            new ProviderOptions { Name = "openai-mini", Kind = ProviderKinds.OpenAI, Model = BudgetModel, ApiKey = "sim-openai-key", Endpoint = simulator.OpenAIEndpoint },
        ];
    }

    public ProviderSimulator Simulator { get; }

    public IReadOnlyList<ProviderOptions> Providers { get; }

    public static async Task<OfflineStage> StartAsync(int seed, CancellationToken cancellationToken)
    {
        var simulator = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = seed }, cancellationToken);
        var stage = new OfflineStage(simulator);

        // Realistic pacing: a first token after ~150-250 ms, then ~80 tokens a second.
        simulator.Model(PrimaryModel).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(150), 80, 0.2));
        simulator.Model(BackupModel).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(250), 70, 0.2));
        simulator.Model(BudgetModel).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(200), 90, 0.2));
        return stage;
    }

    /// <summary>Scripts what the providers do during the next turn.</summary>
    public void Prepare(Action<ProviderSimulator>? stage) => stage?.Invoke(Simulator);

    /// <summary>Gets how many requests the simulator has received so far.</summary>
    public int RequestCount => Simulator.Requests.Count;

    /// <summary>Describes, per provider, how many requests reached the simulator after the first <paramref name="before"/>.</summary>
    public string RequestsSince(int before)
    {
        var received = Simulator.Requests.Skip(before).ToList();
        return string.Join(" · ", Providers.Select(p => $"{p.Name} {received.Count(r => r.Model == p.Model)}"));
    }

    /// <summary>Switches a 503 outage of the primary on or off (interactive mode).</summary>
    public bool ToggleOutage()
    {
        _outage = !_outage;
        Simulator.Model(PrimaryModel).Always(_outage ? SimulatedBehavior.ServerError(503) : SimulatedBehavior.Ok());
        return _outage;
    }

    public ValueTask DisposeAsync() => Simulator.DisposeAsync();
}
