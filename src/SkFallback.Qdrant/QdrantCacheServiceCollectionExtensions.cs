using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkFallback.Caching;
using SkFallback.Qdrant;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="QdrantSemanticCacheStore"/> as the response cache's <see cref="ISemanticCacheStore"/>.</summary>
public static class QdrantCacheServiceCollectionExtensions
{
    /// <summary>Keeps the response cache in the Qdrant whose gRPC API is at <paramref name="endpoint"/>, with default options.</summary>
    /// <param name="services">The services.</param>
    /// <param name="endpoint">Qdrant's gRPC address, for example <c>http://127.0.0.1:6334</c>.</param>
    /// <param name="apiKey">The API key, if Qdrant needs one.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSkFallbackQdrantCache(this IServiceCollection services, string endpoint, string? apiKey = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        return services.AddSkFallbackQdrantCache(options =>
        {
            options.Endpoint = endpoint;
            options.ApiKey = apiKey;
        });
    }

    /// <summary>Keeps the response cache in Qdrant, configured from a configuration section (normally <c>SkFallback:Cache:Qdrant</c>); validated at startup.</summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The section holding <see cref="QdrantCacheOptions"/>; error messages name keys under its path.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSkFallbackQdrantCache(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var path = section is IConfigurationSection s && s.Path.Length > 0 ? s.Path : QdrantCacheOptions.SectionName;
        return services.AddQdrantCache(builder => builder.Bind(section), path);
    }

    /// <summary>Keeps the response cache in Qdrant, configured in code; validated at startup.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the endpoint, the API key and the rest.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSkFallbackQdrantCache(this IServiceCollection services, Action<QdrantCacheOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddQdrantCache(builder => builder.Configure(configure), QdrantCacheOptions.SectionName);
    }

    private static IServiceCollection AddQdrantCache(this IServiceCollection services, Action<OptionsBuilder<QdrantCacheOptions>> configure, string sectionPath)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<QdrantCacheOptions>();
        configure(builder);
        builder.ValidateOnStart();
        services.RemoveAll<IValidateOptions<QdrantCacheOptions>>();
        services.AddSingleton<IValidateOptions<QdrantCacheOptions>>(new QdrantCacheOptionsValidator(sectionPath));
        services.TryAddSingleton(static sp => new QdrantSemanticCacheStore(
            sp.GetRequiredService<IOptions<QdrantCacheOptions>>().Value,
            sp.GetService<ILogger<QdrantSemanticCacheStore>>(),
            sp.GetService<TimeProvider>()));

        // Replace whatever store was registered before (the in-process default).
        services.RemoveAll<ISemanticCacheStore>();
        services.AddSingleton<ISemanticCacheStore>(static sp => sp.GetRequiredService<QdrantSemanticCacheStore>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, QdrantCacheCleanupService>(static sp => new QdrantCacheCleanupService(
            sp.GetRequiredService<QdrantSemanticCacheStore>(),
            sp.GetRequiredService<IOptions<QdrantCacheOptions>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<QdrantCacheCleanupService>>())));
        return services;
    }
}
