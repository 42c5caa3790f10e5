using Microsoft.Extensions.DependencyInjection.Extensions;
using SkFallback.Anthropic;
using SkFallback.Providers;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Anthropic provider kind for fallback chains built from the service provider.</summary>
public static class AnthropicServiceCollectionExtensions
{
    /// <summary>Makes <c>Kind: Anthropic</c> providers available to fallback chains resolved from these services.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSkFallbackAnthropic(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProviderClientFactory, AnthropicProviderClientFactory>());
        return services;
    }
}
