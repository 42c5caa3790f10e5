using Microsoft.Extensions.Configuration;

namespace SkFallback.Proxy.Chains;

/// <summary>
/// Reads the chains from configuration: every child of <c>SkFallback:Chains</c> is a chain (a <see cref="FallbackOptions"/>
/// named by its key), and providers listed directly under <c>SkFallback:Providers</c> make a chain named <c>default</c>.
/// </summary>
internal static class ChainConfiguration
{
    /// <summary>The section holding named chains.</summary>
    public const string ChainsSection = "SkFallback:Chains";

    /// <summary>The name of the chain bound from <c>SkFallback</c> itself.</summary>
    public const string DefaultChain = "default";

    /// <summary>Whether the configuration declares any chain.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <returns><see langword="true"/> when a chain is configured.</returns>
    public static bool HasChains(IConfiguration configuration) =>
        configuration.GetSection(ChainsSection).GetChildren().Any() || configuration.GetSection("SkFallback:Providers").GetChildren().Any();

    /// <summary>Binds every configured chain and validates it, naming the key of each problem.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="errors">Where problems are added.</param>
    /// <returns>The chains, in configuration order, with the section each came from.</returns>
    public static List<(string Name, string Section, FallbackOptions Options)> Read(IConfiguration configuration, List<string> errors)
    {
        var chains = new List<(string, string, FallbackOptions)>();
        var root = configuration.GetSection(FallbackOptions.SectionName);
        if (root.GetSection("Providers").GetChildren().Any())
        {
            chains.Add((DefaultChain, FallbackOptions.SectionName, Bind(root, FallbackOptions.SectionName, errors)));
        }

        foreach (var child in configuration.GetSection(ChainsSection).GetChildren())
        {
            var section = $"{ChainsSection}:{child.Key}";
            if (chains.Any(c => string.Equals(c.Item1, child.Key, StringComparison.Ordinal)))
            {
                errors.Add($"{section} duplicates the chain '{child.Key}' bound from {FallbackOptions.SectionName}:Providers; rename one.");
                continue;
            }

            chains.Add((child.Key, section, Bind(child, section, errors)));
        }

        return chains;
    }

    /// <summary>Validates options made in code (offline chains, tests), naming keys under <paramref name="section"/>.</summary>
    /// <param name="options">The options.</param>
    /// <param name="section">The key prefix for messages.</param>
    /// <param name="errors">Where problems are added.</param>
    public static void Validate(FallbackOptions options, string section, List<string> errors)
    {
        var result = new FallbackOptionsValidator(section).Validate(null, options);
        if (result.Failed)
        {
            errors.AddRange(result.Failures);
        }
    }

    private static FallbackOptions Bind(IConfigurationSection section, string path, List<string> errors)
    {
        var options = new FallbackOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException exception)
        {
            // The binder names the key and the value it could not convert.
            errors.Add($"{path}: {exception.Message}");
            return options;
        }

        Validate(options, path, errors);
        return options;
    }
}
