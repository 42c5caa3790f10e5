using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SkFallback.CircuitBreaking;
using SkFallback.Diagnostics;
using SkFallback.Providers;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>Builds one provider of a chain: its client (SDK retries off, the chain's own HTTP client), its effective limits and its breaker.</summary>
internal static class ProviderBuilder
{
    public static ChainProvider Build(FallbackOptions options, int index, List<IProviderClientFactory> factories, ILogger logger, TimeProvider time)
    {
        var p = options.Providers[index];
        var custom = string.Equals(p.Kind, ProviderKinds.Custom, StringComparison.OrdinalIgnoreCase);
        var attemptTimeout = p.AttemptTimeout ?? options.AttemptTimeout;
        var firstTokenTimeout = p.FirstTokenTimeout ?? options.FirstTokenTimeout;
        var maxRetries = p.MaxRetries ?? options.MaxRetriesPerProvider;
        var requireFinish = p.RequireFinishReason ?? !custom;

        if (options.AllowModelAliases && FallbackOptionsValidator.IsAlias(p.Model))
        {
            Log.ModelAlias(logger, p.Name, p.Model);
        }

        IChatClient client;
        HttpClient? owned = null;
        if (custom)
        {
            client = p.Client ?? throw new InvalidOperationException(
                $"{FallbackOptions.SectionName}:Providers:{index}: provider '{p.Name}' of kind Custom has no Client; resolve its ServiceKey before building the chain.");
        }
        else
        {
            var factory = factories.FirstOrDefault(f => f.CanCreate(p)) ?? DiscoverFactory(p)
                ?? throw new InvalidOperationException(
                    $"{FallbackOptions.SectionName}:Providers:{index}:Kind '{p.Kind}' of provider '{p.Name}' needs the SkFallback.{p.Kind} package " +
                    "(reference it, or pass its IProviderClientFactory to the chain).");
            var http = p.HttpClient ?? (owned = OwnHttpClient(time, options));
            client = factory.Create(p, http);
        }

        return new ChainProvider(p.Name, p.Model, client, ownsClient: !custom, owned, observesHttp: owned is not null,
            requireFinish, attemptTimeout, firstTokenTimeout, maxRetries, p.ContextWindow)
        {
            Breaker = NewBreaker(options, p, time),
            Identity = ProviderIdentity.For(p, client),
            MaxOutputTokens = p.MaxOutputTokens,
            Continuation = p.Continuation ?? (custom ? Streaming.ContinuationMode.Instructed : Streaming.ContinuationModes.For(p.Kind, p.Endpoint)),
            StallTimeout = p.StallTimeout ?? options.Streaming.StallTimeout,
            StallFloor = p.StallFloor ?? options.Streaming.StallFloor,
            StallFactor = p.StallFactor ?? options.Streaming.StallFactor,
        };
    }

    /// <summary>The HTTP client the chain owns for a provider: observed (status, headers), never timing out or draining on its own.</summary>
    private static HttpClient OwnHttpClient(TimeProvider time, FallbackOptions options) =>
        new(new ProviderHttpHandler(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),

            // An abandoned stream is not drained: the connection closes, so the provider stops generating.
            MaxResponseDrainSize = 0,
        }, time, options.MaxResponseBytes, options.MaxResponseLineBytes))
        {
            // The chain times attempts out; the HttpClient must not cut streams on its own.
            Timeout = Timeout.InfiniteTimeSpan,
        };

    private static CircuitBreaker? NewBreaker(FallbackOptions options, ProviderOptions provider, TimeProvider time) =>
        options.CircuitBreaker.Enabled ? new CircuitBreaker($"{provider.Name}/{provider.Model}", options.CircuitBreaker, time) : null;

    private static IProviderClientFactory? DiscoverFactory(ProviderOptions provider)
    {
        // Lets a referenced SkFallback.<Kind> package work without registration, as a user would expect.
        var type = Type.GetType($"SkFallback.{provider.Kind}.{provider.Kind}ProviderClientFactory, SkFallback.{provider.Kind}", throwOnError: false, ignoreCase: true);
        return type is not null && Activator.CreateInstance(type) is IProviderClientFactory factory && factory.CanCreate(provider) ? factory : null;
    }
}
