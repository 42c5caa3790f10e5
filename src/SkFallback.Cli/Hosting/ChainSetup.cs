using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SkFallback.Simulator;

namespace SkFallback.Cli.Hosting;

/// <summary>
/// Builds fallback chains from an appsettings-style file exactly as an application does
/// (<see cref="FallbackServiceCollectionExtensions.AddFallbackChatClient(IServiceCollection, IConfiguration, Action{FallbackOptions})"/>
/// over the <c>SkFallback</c> section, Anthropic registered), optionally narrowed to one provider, and optionally pointed
/// at the built-in simulator (offline).
/// </summary>
internal sealed class ChainSetup(IConfiguration configuration, ProviderSimulator? simulator)
{
    /// <summary>The API key providers get offline (the simulator accepts any).</summary>
    public const string OfflineKey = "sim-key";

    /// <summary>Gets the configuration the chains bind from.</summary>
    public IConfiguration Configuration => configuration;

    /// <summary>Gets the simulator the chains go to offline; <see langword="null"/> online.</summary>
    public ProviderSimulator? Simulator => simulator;

    /// <summary>Gets the configured providers (name, model) in chain order.</summary>
    public IReadOnlyList<(string Name, string Model)> Providers()
    {
        var options = new FallbackOptions();
        try
        {
            configuration.GetSection(FallbackOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException exception)
        {
            // The binder names the key and the value it could not convert.
            throw new CliUsageException($"{FallbackOptions.SectionName}: {exception.Message}", exception);
        }

        return [.. options.Providers.Select(p => (p.Name, p.Model))];
    }

    /// <summary>Builds every target: each provider alone, in chain order, then the whole chain.</summary>
    public List<EvalTarget> Targets()
    {
        var targets = new List<EvalTarget>();
        var providers = Providers();
        foreach (var (name, model) in providers)
        {
            targets.Add(Build(name, EvalTarget.ProviderKind, [model], name));
        }

        targets.Add(Build(EvalTarget.ChainKind, EvalTarget.ChainKind, [.. providers.Select(p => p.Model)], only: null));
        return targets;
    }

    /// <summary>
    /// Builds a chain of the one provider named <paramref name="provider"/>: a judge. It is looked for in the top-level
    /// <c>Judges</c> list first (providers of the same shape that are not evaluated themselves), then in the chain.
    /// </summary>
    public EvalTarget Single(string provider)
    {
        var judges = configuration.GetSection(JudgesSection).GetChildren().ToList();
        if (judges.FirstOrDefault(j => string.Equals(j["Name"], provider, StringComparison.Ordinal)) is { } judge)
        {
            return Build(provider, EvalTarget.ProviderKind, [judge["Model"] ?? string.Empty], provider, WithJudge(judge));
        }

        var providers = Providers();
        var match = providers.FirstOrDefault(p => string.Equals(p.Name, provider, StringComparison.Ordinal));
        var known = string.Join(", ", judges.Select(j => j["Name"]).Concat(providers.Select(p => p.Name)));
        return match.Name is null
            ? throw new CliUsageException($"no provider '{provider}' in {JudgesSection} or {FallbackOptions.SectionName}:Providers (have: {known})")
            : Build(match.Name, EvalTarget.ProviderKind, [match.Model], match.Name);
    }

    /// <summary>The top-level section of judge providers.</summary>
    public const string JudgesSection = "Judges";

    /// <summary>The configuration with the judge appended to the chain's providers (the chain's other settings kept).</summary>
    private IConfiguration WithJudge(IConfigurationSection judge)
    {
        var index = configuration.GetSection($"{FallbackOptions.SectionName}:Providers").GetChildren().Count();
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in judge.AsEnumerable(makePathsRelative: true))
        {
            values[$"{FallbackOptions.SectionName}:Providers:{index}:{key}"] = value;
        }

        return new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(values).Build();
    }

    private EvalTarget Build(string name, string kind, IReadOnlyList<string> models, string? only, IConfiguration? from = null)
    {
        var services = new ServiceCollection();
        services.AddSkFallbackAnthropic();
        services.AddFallbackChatClient((from ?? configuration).GetSection(FallbackOptions.SectionName), options => Narrow(options, only));
        var provider = services.BuildServiceProvider();
        try
        {
            return new EvalTarget(name, kind, models, provider.GetRequiredService<IChatClient>(), provider);
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Keeps only <paramref name="only"/> (all when null) and, offline, points every provider at the simulator. The
    /// fallback-event log is off: evaluation calls are not traffic, and one log per target would mean several writers
    /// on one directory and prefix.
    /// </summary>
    private void Narrow(FallbackOptions options, string? only)
    {
        options.Events.Enabled = false;
        for (var i = options.Providers.Count - 1; i >= 0; i--)
        {
            if (only is not null && !string.Equals(options.Providers[i].Name, only, StringComparison.Ordinal))
            {
                options.Providers.RemoveAt(i);
            }
        }

        if (simulator is null)
        {
            return;
        }

        foreach (var provider in options.Providers)
        {
            provider.Endpoint = string.Equals(provider.Kind, ProviderKinds.Anthropic, StringComparison.OrdinalIgnoreCase) ? simulator.AnthropicEndpoint : simulator.OpenAIEndpoint;
            provider.ApiKey = OfflineKey;
        }
    }
}
