using Microsoft.Extensions.Configuration;
using SkFallback.Simulator;

namespace SkFallback.Cli.Hosting;

/// <summary>
/// The chain configuration of one command: read from an appsettings-style file (environment variables
/// <c>SkFallback__...</c> override it, so keys stay out of the file), or offline on the built-in simulator. Offline
/// happens with <c>--offline</c>, when no provider is configured (three simulated providers then stand in), or when
/// no configured provider has an API key; the configured providers then keep their names, kinds and models.
/// </summary>
internal sealed class EvalSession : IAsyncDisposable
{
    /// <summary>The providers of the offline chain when none is configured: models the price catalog lists, so costs are real prices.</summary>
    internal static readonly IReadOnlyList<(string Name, string Kind, string Model)> OfflineProviders =
    [
        ("openai", ProviderKinds.OpenAI, "gpt-4o-2024-08-06"),
        ("anthropic", ProviderKinds.Anthropic, "claude-haiku-4-5-20251001"),
        ("openai-mini", ProviderKinds.OpenAI, "gpt-4o-mini-2024-07-18"),
    ];

    private readonly ProviderSimulator? _simulator;

    private EvalSession(ChainSetup chains, ProviderSimulator? simulator)
    {
        Chains = chains;
        _simulator = simulator;
    }

    /// <summary>Gets the chains to build targets from.</summary>
    public ChainSetup Chains { get; }

    /// <summary>Gets whether the chains go to the built-in simulator.</summary>
    public bool Offline => _simulator is not null;

    /// <summary>Opens a session.</summary>
    /// <param name="configPath">The configuration file; <see langword="null"/> for none (offline).</param>
    /// <param name="forceOffline">Whether to use the simulator even with keys configured.</param>
    /// <param name="simulatorScript">A simulator script file (known answers, drift, faults) loaded offline.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<EvalSession> OpenAsync(string? configPath, bool forceOffline, string? simulatorScript, CancellationToken cancellationToken)
    {
        var configuration = Read(configPath);
        var providers = configuration.GetSection($"{FallbackOptions.SectionName}:Providers").GetChildren().ToList();
        var offline = forceOffline || providers.Count == 0 || providers.All(p => string.IsNullOrWhiteSpace(p["ApiKey"]));
        if (!offline)
        {
            if (simulatorScript is not null)
            {
                throw new CliUsageException("--simulator-script needs the simulator: add --offline");
            }

            return new EvalSession(new ChainSetup(configuration, null), null);
        }

        if (providers.Count == 0)
        {
            configuration = WithOfflineProviders(configuration);
        }

        var simulator = await ProviderSimulator.StartAsync(new SimulatorOptions(), cancellationToken);
        try
        {
            if (simulatorScript is not null)
            {
                var script = await ReadScriptAsync(simulatorScript, cancellationToken);
                try
                {
                    simulator.LoadScript(script);
                }
                catch (Exception exception) when (exception is FormatException or System.Text.Json.JsonException)
                {
                    throw new CliUsageException($"simulator script '{simulatorScript}': {exception.Message}", exception);
                }
            }

            return new EvalSession(new ChainSetup(configuration, simulator), simulator);
        }
        catch
        {
            await simulator.DisposeAsync();
            throw;
        }
    }

    private static IConfiguration Read(string? configPath)
    {
        var builder = new ConfigurationBuilder();
        if (configPath is not null)
        {
            if (!File.Exists(configPath))
            {
                throw new CliUsageException($"no configuration file '{configPath}'");
            }

            builder.AddJsonFile(Path.GetFullPath(configPath), optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables();
        try
        {
            return builder.Build();
        }
        catch (InvalidDataException exception)
        {
            throw new CliUsageException($"'{configPath}' is not valid JSON: {exception.Message}", exception);
        }
    }

    private static IConfiguration WithOfflineProviders(IConfiguration configuration)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < OfflineProviders.Count; i++)
        {
            var (name, kind, model) = OfflineProviders[i];
            var key = $"{FallbackOptions.SectionName}:Providers:{i}:";
            values[key + "Name"] = name;
            values[key + "Kind"] = kind;
            values[key + "Model"] = model;
        }

        return new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(values).Build();
    }

    private static async Task<string> ReadScriptAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"no simulator script '{path}'");
        }

        return await File.ReadAllTextAsync(path, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }
}
