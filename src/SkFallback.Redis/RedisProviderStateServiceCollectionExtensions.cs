using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkFallback.CircuitBreaking;

namespace SkFallback.Redis;

/// <summary>Registers <see cref="RedisProviderStateStore"/> as the <see cref="IProviderStateStore"/> of every chain in the container.</summary>
public static class RedisProviderStateServiceCollectionExtensions
{
    /// <summary>Shares breaker state through the Redis at <paramref name="connectionString"/>, with default options.</summary>
    /// <param name="services">The services.</param>
    /// <param name="connectionString">A StackExchange.Redis connection string, for example <c>localhost:6379</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSkFallbackRedis(this IServiceCollection services, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return services.AddSkFallbackRedis(options => options.ConnectionString = connectionString);
    }

    /// <summary>Shares breaker state through Redis, configured by <paramref name="configure"/>; the options are validated at startup.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the connection (string or multiplexer), key prefix and the rest.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSkFallbackRedis(this IServiceCollection services, Action<RedisProviderStateOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<RedisProviderStateOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisProviderStateOptions>, RedisProviderStateOptionsValidator>());
        services.TryAddSingleton(static sp => new RedisProviderStateStore(
            sp.GetRequiredService<IOptions<RedisProviderStateOptions>>().Value,
            sp.GetService<ILogger<RedisProviderStateStore>>(),
            sp.GetService<TimeProvider>()));

        // Replace whatever store was registered before (the in-process default shares nothing).
        services.RemoveAll<IProviderStateStore>();
        services.AddSingleton<IProviderStateStore>(static sp => sp.GetRequiredService<RedisProviderStateStore>());
        return services;
    }
}
