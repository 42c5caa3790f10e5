using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SkFallback.Providers;

namespace SkFallback;

/// <summary>Builds a <see cref="FallbackChatClient"/> from options and what a service provider offers.</summary>
internal static class FallbackChatClientFactory
{
    public static FallbackChatClient Create(IServiceProvider services, FallbackOptions options, string sectionName)
    {
        FallbackOptionsValidator.ThrowIfInvalid(options, sectionName, (services.GetService<IEnumerable<Routing.IRoutingPolicy>>() ?? []).Select(p => p.Name));
        for (var i = 0; i < options.Providers.Count; i++)
        {
            var provider = options.Providers[i];
            if (provider.Client is null && !string.IsNullOrWhiteSpace(provider.ServiceKey))
            {
                provider.Client = services.GetKeyedService<IChatClient>(provider.ServiceKey)
                    ?? throw new InvalidOperationException(
                        $"{sectionName}:Providers:{i}:ServiceKey '{provider.ServiceKey}' names no keyed IChatClient in the service collection.");
            }
        }

        return new FallbackChatClient(
            options,
            services.GetService<IEnumerable<IProviderClientFactory>>() ?? [],
            services.GetService<ILoggerFactory>(),
            services.GetService<TimeProvider>(),
            services.GetService<CircuitBreaking.IProviderStateStore>(),
            (services.GetService<IEnumerable<Routing.IRoutingPolicy>>() ?? []),
            services.GetService<Cost.PriceCatalog>(),
            services.GetService<Cost.ISpendLedger>(),
            options.Events.Enabled ? services.GetService<Events.FallbackEventLog>() : null);
    }
}
