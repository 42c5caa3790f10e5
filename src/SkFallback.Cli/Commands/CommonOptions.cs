using System.CommandLine;

namespace SkFallback.Cli.Commands;

/// <summary>Options several commands share, created fresh per command (an option belongs to one command).</summary>
internal static class CommonOptions
{
    /// <summary><c>--json</c>: machine-readable output on standard output instead of tables.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Write JSON to standard output instead of tables (for scripts)." };

    /// <summary><c>--config</c>: the appsettings-style file with the <c>SkFallback</c> section.</summary>
    public static Option<string?> Config() => new("--config", "-c")
    {
        Description = "Configuration file (appsettings-style JSON with a SkFallback section; SkFallback__... environment variables override it). Without one, or without API keys, the built-in simulator answers.",
    };

    /// <summary><c>--offline</c>: the built-in simulator even when keys are configured.</summary>
    public static Option<bool> Offline() => new("--offline") { Description = "Send every call to the built-in simulator, keeping the configured provider names and models." };

    /// <summary><c>--simulator-script</c>: a simulator script loaded offline.</summary>
    public static Option<string?> SimulatorScript() => new("--simulator-script")
    {
        Description = "Simulator script file ({\"models\":{...}}: known answers, versions, drift, faults), offline only.",
    };

    /// <summary>A positive integer option.</summary>
    public static Option<int> Positive(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"{name} must be 1 or more.");
            }
        });
        return option;
    }

    /// <summary>A fraction option, 0 to 1.</summary>
    public static Option<double> Fraction(string name, string description, double defaultValue)
    {
        var option = new Option<double>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is < 0 or > 1)
            {
                result.AddError($"{name} must be between 0 and 1.");
            }
        });
        return option;
    }
}
