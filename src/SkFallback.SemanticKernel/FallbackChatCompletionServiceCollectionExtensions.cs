using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback;
using SkFallback.Caching;
using SkFallback.Configuration;
using SkFallback.SemanticKernel;

namespace Microsoft.SemanticKernel;

/// <summary>Registers a fallback chain as a Semantic Kernel <see cref="IChatCompletionService"/> on an <see cref="IServiceCollection"/>.</summary>
public static class FallbackChatCompletionServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="FallbackChatCompletionService"/> options section holding the response cache's options.</summary>
    private const string CacheSection = "Cache";

    /// <summary>
    /// Registers an <see cref="IChatCompletionService"/> (a <see cref="FallbackChatCompletionService"/>) over a fallback
    /// chain configured from <paramref name="configuration"/>, plus the <see cref="FallbackFunctionInvocationFilter"/> and
    /// the Anthropic provider kind. Invalid configuration fails when the service is first resolved (or at host start) with
    /// a message naming the key, such as <c>SkFallback:Providers:1:ApiKey</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">
    /// The configuration section holding <see cref="FallbackOptions"/>; when a configuration root is passed, its
    /// <see cref="FallbackOptions.SectionName"/> (<c>SkFallback</c>) section is used.
    /// </param>
    /// <param name="configure">Further configuration in code, applied after binding.</param>
    /// <param name="serviceId">The key the service is registered under, as for other Semantic Kernel connectors; unkeyed when <see langword="null"/>.</param>
    /// <param name="useCache">
    /// Whether to put the exact and semantic response cache (<see cref="SemanticCacheChatClient"/>) above the chain, with
    /// its <see cref="SemanticCacheOptions"/> bound from the <c>Cache</c> subsection (<c>SkFallback:Cache</c>) and
    /// validated at start with messages naming the key. See <see cref="AddFallbackChatCompletion(IServiceCollection, Action{FallbackOptions}, string?, bool, Action{SemanticCacheOptions}?)"/>
    /// for where its store and embedding generator come from.
    /// </param>
    /// <param name="configureCache">Further cache configuration in code, applied after binding; passing it turns the cache on.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFallbackChatCompletion(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<FallbackOptions>? configure = null,
        string? serviceId = null,
        bool useCache = false,
        Action<SemanticCacheOptions>? configureCache = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var section = configuration as IConfigurationSection ?? configuration.GetSection(FallbackOptions.SectionName);
        SkFallback.Cost.PriceOverrides.Register(services, section.GetSection("Prices"));
        var cache = useCache || configureCache is not null
            ? new CacheRegistration(section.Path + ConfigurationPath.KeyDelimiter + CacheSection, builder =>
            {
                builder.Bind(section.GetSection(CacheSection));
                if (configureCache is not null)
                {
                    builder.Configure(configureCache);
                }
            })
            : null;
        return Register(
            services,
            serviceId,
            section.Path,
            builder =>
            {
                builder.BindChecked(section);
                if (configure is not null)
                {
                    builder.Configure(configure);
                }
            },
            cache);
    }

    /// <summary>
    /// Registers an <see cref="IChatCompletionService"/> (a <see cref="FallbackChatCompletionService"/>) over a fallback
    /// chain configured in code, plus the <see cref="FallbackFunctionInvocationFilter"/> and the Anthropic provider kind.
    /// </summary>
    /// <remarks>
    /// With the response cache on, each model round trip of the kernel's tool loop looks the request up before the chain
    /// is called: a hit makes no provider call, and its <see cref="KernelContent.Metadata"/> (or the first and last
    /// chunks of a streamed hit) carries <see cref="CacheMetadataKeys.Hit"/> and the provider and model that originally
    /// answered (<see cref="FallbackMetadataKeys.Provider"/>, <see cref="FallbackMetadataKeys.Model"/>), with an empty
    /// attempt list. The store is the registered <see cref="ISemanticCacheStore"/> (<c>AddFallbackCache</c>, Qdrant) or
    /// an in-process one; the semantic layer uses the registered <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>
    /// (<c>AddMiniLMEmbeddingGenerator</c>, or any other) and, without one, only the exact layer works. The cache is
    /// resolved as <see cref="SemanticCacheChatClient"/> under the same <paramref name="serviceId"/>.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configure">Adds the providers and tunes the chain.</param>
    /// <param name="serviceId">The key the service is registered under, as for other Semantic Kernel connectors; unkeyed when <see langword="null"/>.</param>
    /// <param name="useCache">
    /// Whether to put the response cache above the chain, with default <see cref="SemanticCacheOptions"/> unless
    /// <paramref name="configureCache"/> changes them (the options of <c>AddFallbackCache</c> configure <c>UseFallbackCache</c>
    /// pipelines, not this registration).
    /// </param>
    /// <param name="configureCache">Configures the cache (validated at start, keys named under <c>SkFallback:Cache</c>); passing it turns the cache on.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFallbackChatCompletion(
        this IServiceCollection services,
        Action<FallbackOptions> configure,
        string? serviceId = null,
        bool useCache = false,
        Action<SemanticCacheOptions>? configureCache = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var cache = useCache || configureCache is not null
            ? new CacheRegistration(SemanticCacheOptions.SectionName, builder =>
            {
                if (configureCache is not null)
                {
                    builder.Configure(configureCache);
                }
            })
            : null;
        return Register(services, serviceId, FallbackOptions.SectionName, builder => builder.Configure(configure), cache);
    }

    private static IServiceCollection Register(
        IServiceCollection services,
        string? serviceId,
        string sectionName,
        Action<OptionsBuilder<FallbackOptions>> configureOptions,
        CacheRegistration? cache)
    {
        // Named options keep each serviceId's chain apart from the others and from AddFallbackChatClient's.
        var optionsName = "SkFallback.SemanticKernel:" + serviceId;
        var options = services.AddOptions<FallbackOptions>(optionsName);
        configureOptions(options);
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<FallbackOptions>>(new NamedFallbackOptionsValidator(optionsName, sectionName));

        services.AddSkFallbackAnthropic();
        services.TryAddSingleton<FallbackFunctionInvocationFilter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAutoFunctionInvocationFilter, FallbackFunctionInvocationFilter>(
            static sp => sp.GetRequiredService<FallbackFunctionInvocationFilter>()));

        // The container owns the chain (and disposes its HTTP clients); the service only wraps it.
        services.AddKeyedSingleton(serviceId, (sp, _) =>
            FallbackChatClientFactory.Create(sp, sp.GetRequiredService<IOptionsMonitor<FallbackOptions>>().Get(optionsName), sectionName));
        if (cache is null)
        {
            services.AddKeyedSingleton<IChatCompletionService>(serviceId, (sp, _) =>
                new FallbackChatCompletionService(sp.GetRequiredKeyedService<FallbackChatClient>(serviceId), sp));
            return services;
        }

        // The cache sits between the kernel's tool loop and the chain: each round trip is looked up before any provider is called.
        var cacheOptions = services.AddOptions<SemanticCacheOptions>(optionsName);
        cache.Configure(cacheOptions);
        cacheOptions.ValidateOnStart();
        services.AddSingleton<IValidateOptions<SemanticCacheOptions>>(new NamedSemanticCacheOptionsValidator(optionsName, cache.SectionName));
        services.AddKeyedSingleton(serviceId, (sp, _) => new SemanticCacheChatClient(
            sp.GetRequiredKeyedService<FallbackChatClient>(serviceId),
            sp.GetRequiredService<IOptionsMonitor<SemanticCacheOptions>>().Get(optionsName),
            sp.GetService<ISemanticCacheStore>(),
            sp.GetService<IEmbeddingGenerator<string, Embedding<float>>>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<SkFallback.Cost.PriceCatalog>()));
        services.AddKeyedSingleton<IChatCompletionService>(serviceId, (sp, _) =>
            new FallbackChatCompletionService(sp.GetRequiredKeyedService<SemanticCacheChatClient>(serviceId), sp));
        return services;
    }

    /// <summary>How one registration's response cache is configured, and the key prefix its validation messages use.</summary>
    private sealed record CacheRegistration(string SectionName, Action<OptionsBuilder<SemanticCacheOptions>> Configure);
}
