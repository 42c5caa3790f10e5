using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SkFallback.Caching;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SkFallback response cache's options and store.</summary>
public static class SemanticCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SemanticCacheOptions"/> bound from <paramref name="configuration"/> (typically the
    /// <c>SkFallback:Cache</c> section), validated at start with messages naming the key, and the in-process
    /// <see cref="ISemanticCacheStore"/> unless another store is registered. Add the cache to the chat pipeline with
    /// <c>UseFallbackCache()</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section holding <see cref="SemanticCacheOptions"/>.</param>
    /// <param name="configure">Further configuration in code, applied after binding.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFallbackCache(this IServiceCollection services, IConfiguration configuration, Action<SemanticCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var sectionName = configuration is IConfigurationSection section ? section.Path : SemanticCacheOptions.SectionName;
        var builder = services.AddOptions<SemanticCacheOptions>().Bind(configuration);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return Register(services, sectionName);
    }

    /// <summary>Registers <see cref="SemanticCacheOptions"/> configured in code and the in-process <see cref="ISemanticCacheStore"/> unless another store is registered.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the cache; the defaults when <see langword="null"/>.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFallbackCache(this IServiceCollection services, Action<SemanticCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<SemanticCacheOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return Register(services, SemanticCacheOptions.SectionName);
    }

    private static IServiceCollection Register(IServiceCollection services, string sectionName)
    {
        services.AddOptions<SemanticCacheOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SemanticCacheOptions>>(new SemanticCacheOptionsValidator(sectionName)));
        services.TryAddSingleton<ISemanticCacheStore>(sp => new InMemorySemanticCacheStore(sp.GetRequiredService<IOptions<SemanticCacheOptions>>().Value.MaxEntries));
        return services;
    }
}
