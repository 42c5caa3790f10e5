using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SkFallback;
using SkFallback.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a fallback chain as the application's <see cref="IChatClient"/>.</summary>
public static class FallbackServiceCollectionExtensions
{
    /// <summary>
    /// Registers an <see cref="IChatClient"/> that is a fallback chain configured from <paramref name="configuration"/>
    /// (typically the <c>SkFallback</c> section) and, optionally, code. Invalid configuration fails when the client is
    /// first resolved, or at host start, with a message naming the key.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section holding <see cref="FallbackOptions"/>.</param>
    /// <param name="configure">Further configuration in code, applied after binding.</param>
    /// <returns>A builder to add middleware (function invocation, logging, telemetry) above the chain.</returns>
    public static ChatClientBuilder AddFallbackChatClient(this IServiceCollection services, IConfiguration configuration, Action<FallbackOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var sectionName = configuration is IConfigurationSection section ? section.Path : FallbackOptions.SectionName;
        var builder = services.AddOptions<FallbackOptions>().BindChecked(configuration);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        SkFallback.Cost.PriceOverrides.Register(services, configuration.GetSection("Prices"));

        return Register(services, sectionName);
    }

    /// <summary>Registers an <see cref="IChatClient"/> that is a fallback chain configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Adds the providers and tunes the chain.</param>
    /// <returns>A builder to add middleware (function invocation, logging, telemetry) above the chain.</returns>
    public static ChatClientBuilder AddFallbackChatClient(this IServiceCollection services, Action<FallbackOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<FallbackOptions>().Configure(configure);
        return Register(services, FallbackOptions.SectionName);
    }

    private static ChatClientBuilder Register(IServiceCollection services, string sectionName)
    {
        services.AddOptions<FallbackOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FallbackOptions>, FallbackOptionsValidator>(
            sp => new FallbackOptionsValidator(sectionName, sp.GetServices<SkFallback.Routing.IRoutingPolicy>().Select(p => p.Name))));
        services.TryAddSingleton<SkFallback.Cost.ISpendLedger>(sp => new SkFallback.Cost.SpendLedger(sp.GetService<TimeProvider>()));

        // Made only when the options enable it (the factory asks for it then); the container disposes it, draining its queue.
        services.TryAddSingleton(sp => new SkFallback.Events.FallbackEventLog(
            sp.GetRequiredService<IOptions<FallbackOptions>>().Value.Events,
            sp.GetService<SkFallback.Events.IFallbackEventSink>(),
            sp.GetService<Logging.ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<Compliance.Redaction.IRedactorProvider>(),
            sp.GetServices<SkFallback.Events.IFallbackEventRedactor>()));
        return services.AddChatClient(sp => FallbackChatClientFactory.Create(sp, sp.GetRequiredService<IOptions<FallbackOptions>>().Value, sectionName));
    }
}
