using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback;
using SkFallback.SemanticKernel;

namespace Microsoft.SemanticKernel;

/// <summary>Registers a fallback chain as a Semantic Kernel <see cref="IChatCompletionService"/> on an <see cref="IServiceCollection"/>.</summary>
public static class FallbackChatCompletionServiceCollectionExtensions
{
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
    /// <returns>The services.</returns>
    public static IServiceCollection AddFallbackChatCompletion(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<FallbackOptions>? configure = null,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var section = configuration as IConfigurationSection ?? configuration.GetSection(FallbackOptions.SectionName);
        SkFallback.Cost.PriceOverrides.Register(services, section.GetSection("Prices"));
        return Register(services, serviceId, section.Path, builder =>
        {
            builder.Bind(section);
            if (configure is not null)
            {
                builder.Configure(configure);
            }
        });
    }

    /// <summary>
    /// Registers an <see cref="IChatCompletionService"/> (a <see cref="FallbackChatCompletionService"/>) over a fallback
    /// chain configured in code, plus the <see cref="FallbackFunctionInvocationFilter"/> and the Anthropic provider kind.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Adds the providers and tunes the chain.</param>
    /// <param name="serviceId">The key the service is registered under, as for other Semantic Kernel connectors; unkeyed when <see langword="null"/>.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFallbackChatCompletion(
        this IServiceCollection services,
        Action<FallbackOptions> configure,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return Register(services, serviceId, FallbackOptions.SectionName, builder => builder.Configure(configure));
    }

    private static IServiceCollection Register(
        IServiceCollection services,
        string? serviceId,
        string sectionName,
        Action<OptionsBuilder<FallbackOptions>> configureOptions)
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
        services.AddKeyedSingleton<IChatCompletionService>(serviceId, (sp, _) =>
            new FallbackChatCompletionService(sp.GetRequiredKeyedService<FallbackChatClient>(serviceId), sp));
        return services;
    }
}
