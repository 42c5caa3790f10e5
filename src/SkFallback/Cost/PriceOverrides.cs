using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SkFallback.Cost;

/// <summary>Price overrides from configuration (<c>SkFallback:Prices</c>): merged over the shipped catalog, validated at startup naming the key.</summary>
internal static class PriceOverrides
{
    /// <summary>Registers the merged catalog and its startup validation when the section exists.</summary>
    public static void Register(IServiceCollection services, IConfigurationSection prices)
    {
        if (!prices.Exists())
        {
            return;
        }

        services.TryAddSingleton(sp => PriceCatalog.Default.Merge(prices, AllowAliases(sp)));
        services.AddSingleton<IValidateOptions<FallbackOptions>>(new Validator(prices));
    }

    private static bool AllowAliases(IServiceProvider services) =>
        services.GetService<IOptions<FallbackOptions>>()?.Value.AllowModelAliases ?? false;

    /// <summary>Validates the overrides with the options, so a bad price fails at startup.</summary>
    private sealed class Validator(IConfigurationSection prices) : IValidateOptions<FallbackOptions>
    {
        public ValidateOptionsResult Validate(string? name, FallbackOptions options)
        {
            try
            {
                PriceCatalog.Default.Merge(prices, options.AllowModelAliases);
                return ValidateOptionsResult.Success;
            }
            catch (OptionsValidationException ex)
            {
                return ValidateOptionsResult.Fail(ex.Failures);
            }
        }
    }
}
