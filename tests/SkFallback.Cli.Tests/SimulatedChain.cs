using SkFallback.Simulator;

namespace SkFallback.Cli.Tests;

/// <summary>
/// A simulator on loopback and a configuration file whose chain is two providers on it: <c>primary</c> (OpenAI wire,
/// <see cref="PrimaryModel"/>) then <c>backup</c> (Anthropic wire, <see cref="BackupModel"/>), both with keys, so the
/// tool goes over HTTP to this simulator rather than starting its own. Both models know the golden set's answers.
/// </summary>
internal sealed class SimulatedChain : IAsyncDisposable
{
    public const string PrimaryModel = "gpt-4o-2024-08-06";
    public const string BackupModel = "claude-haiku-4-5-20251001";

    /// <summary>Prompt, answer, check line: each line of the golden set.</summary>
    public static readonly IReadOnlyList<(string Id, string Prompt, string Answer)> Cases =
    [
        ("capital-fr", "What is the capital of France?", "Paris."),
        ("capital-de", "What is the capital of Germany?", "Berlin."),
        ("capital-it", "What is the capital of Italy?", "Rome."),
        ("capital-es", "What is the capital of Spain?", "Madrid."),
    ];

    private SimulatedChain(ProviderSimulator simulator, TempFolder folder)
    {
        Simulator = simulator;
        Folder = folder;
        Config = folder.Write("appsettings.json", $$"""
            {
              "SkFallback": {
                "AttemptTimeout": "00:00:20",
                "Providers": [
                  { "Name": "primary", "Kind": "OpenAI", "Model": "{{PrimaryModel}}", "ApiKey": "sim-key", "Endpoint": "{{simulator.OpenAIEndpoint}}" },
                  { "Name": "backup", "Kind": "Anthropic", "Model": "{{BackupModel}}", "ApiKey": "sim-key", "Endpoint": "{{simulator.AnthropicEndpoint}}" }
                ]
              }
            }
            """);
        Dataset = folder.Write("golden.jsonl", string.Join('\n', Cases.Select(c =>
            $$"""{"id":"{{c.Id}}","prompt":"{{c.Prompt}}","expected":"{{c.Answer}}","checks":[{"type":"contains"}],"tags":["geo"]}""")));
        foreach (var model in new[] { PrimaryModel, BackupModel })
        {
            var script = simulator.Model(model).WithVersion(model + "-v1");
            foreach (var (_, prompt, answer) in Cases)
            {
                script.Answer(prompt, answer);
            }
        }
    }

    public ProviderSimulator Simulator { get; }

    public TempFolder Folder { get; }

    public string Config { get; }

    public string Dataset { get; }

    public static async Task<SimulatedChain> StartAsync() =>
        new(await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken), new TempFolder());

    /// <summary>Runs <c>eval run</c> over this chain into <paramref name="name"/>; returns the run and the file's path.</summary>
    public async Task<(CliRun Run, string Path)> EvalRunAsync(string name, params string[] extra)
    {
        var path = Folder.File(name);
        var run = await CliHarness.RunAsync(["eval", "run", "--config", Config, "--dataset", Dataset, "--out", path, .. extra]);
        return (run, path);
    }

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        Folder.Dispose();
    }
}
