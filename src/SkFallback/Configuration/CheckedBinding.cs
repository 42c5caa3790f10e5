using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkFallback.Diagnostics;

namespace SkFallback.Configuration;

/// <summary>
/// Binds <see cref="FallbackOptions"/> from a configuration section after checking its shape
/// (<see cref="ConfigurationShape"/>): a value that does not convert fails, naming its key and value; an unknown key
/// fails too, or is logged as a warning when <see cref="FallbackOptions.WarnOnUnknownKeys"/> is set.
/// </summary>
internal static class CheckedBinding
{
    /// <summary>Sections under <c>SkFallback</c> that other parts read: the price overrides and the response cache.</summary>
    private static readonly string[] Siblings = ["Prices", "Cache"];

    public static OptionsBuilder<FallbackOptions> BindChecked(this OptionsBuilder<FallbackOptions> builder, IConfiguration configuration)
    {
        builder.Services.AddSingleton<IOptionsChangeTokenSource<FallbackOptions>>(new ConfigurationChangeTokenSource<FallbackOptions>(builder.Name, configuration));
        builder.Configure(options =>
        {
            var (invalid, _) = ConfigurationShape.Check(configuration, typeof(FallbackOptions), Siblings);
            if (invalid.Count > 0)
            {
                throw new OptionsValidationException(builder.Name, typeof(FallbackOptions), invalid);
            }

            configuration.Bind(options);
        });

        // After code configuration, so WarnOnUnknownKeys may be set either way.
        builder.PostConfigure<IServiceProvider>((options, services) =>
        {
            var (_, unknown) = ConfigurationShape.Check(configuration, typeof(FallbackOptions), Siblings);
            if (unknown.Count == 0)
            {
                return;
            }

            if (!options.WarnOnUnknownKeys)
            {
                throw new OptionsValidationException(builder.Name, typeof(FallbackOptions), unknown);
            }

            var logger = services.GetService<ILoggerFactory>()?.CreateLogger(typeof(FallbackChatClient));
            foreach (var line in unknown)
            {
                if (logger is not null)
                {
                    Log.UnknownConfigurationKey(logger, line);
                }
            }
        });
        return builder;
    }
}
