using SkFallback.CircuitBreaking;
using SkFallback.Diagnostics;
using SkFallback.Providers;
using SkFallback.Routing;

namespace SkFallback;

/// <content>Building the chain's providers and their breakers, and sharing their state with other replicas.</content>
public sealed partial class FallbackChatClient
{
    /// <summary>Applies another replica's change to the local state of the provider it names.</summary>
    private void ApplyShared(ProviderStateChange change)
    {
        if (_stateStore is null || string.Equals(change.Origin, _stateStore.ReplicaId, StringComparison.Ordinal))
        {
            return;
        }

        foreach (var provider in _providers)
        {
            if (string.Equals(provider.Key, change.ProviderKey, StringComparison.Ordinal))
            {
                if (change.CooldownUntil is { } cooldown)
                {
                    provider.CoolDownUntil(cooldown);
                }

                provider.Breaker?.Apply(change.State, change.OpenUntil);
            }
        }
    }

    private ChainProvider Build(FallbackOptions options, int index, List<IProviderClientFactory> factories)
    {
        var p = options.Providers[index];
        var custom = string.Equals(p.Kind, ProviderKinds.Custom, StringComparison.OrdinalIgnoreCase);
        var attemptTimeout = p.AttemptTimeout ?? options.AttemptTimeout;
        var firstTokenTimeout = p.FirstTokenTimeout ?? options.FirstTokenTimeout;
        var maxRetries = p.MaxRetries ?? options.MaxRetriesPerProvider;
        var requireFinish = p.RequireFinishReason ?? !custom;

        if (options.AllowModelAliases && FallbackOptionsValidator.IsAlias(p.Model))
        {
            Log.ModelAlias(_logger, p.Name, p.Model);
        }

        if (custom)
        {
            var client = p.Client ?? throw new InvalidOperationException(
                $"{FallbackOptions.SectionName}:Providers:{index}: provider '{p.Name}' of kind Custom has no Client; resolve its ServiceKey before building the chain.");
            return new ChainProvider(p.Name, p.Model, client, ownsClient: false, ownedHttpClient: null, observesHttp: false,
                requireFinish, attemptTimeout, firstTokenTimeout, maxRetries, p.ContextWindow)
            {
                Breaker = NewBreaker(options, p),
                MaxOutputTokens = p.MaxOutputTokens,
                Continuation = p.Continuation ?? Streaming.ContinuationMode.Instructed,
                StallTimeout = p.StallTimeout ?? options.Streaming.StallTimeout,
            };
        }

        var factory = factories.FirstOrDefault(f => f.CanCreate(p)) ?? DiscoverFactory(p)
            ?? throw new InvalidOperationException(
                $"{FallbackOptions.SectionName}:Providers:{index}:Kind '{p.Kind}' of provider '{p.Name}' needs the SkFallback.{p.Kind} package " +
                "(reference it, or pass its IProviderClientFactory to the chain).");

        HttpClient? owned = null;
        var http = p.HttpClient;
        if (http is null)
        {
            owned = new HttpClient(new ProviderHttpHandler(new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(10),

                // An abandoned stream is not drained: the connection closes, so the provider stops generating.
                MaxResponseDrainSize = 0,
            }, _timeProvider))
            {
                // The chain times attempts out; the HttpClient must not cut streams on its own.
                Timeout = Timeout.InfiniteTimeSpan,
            };
            http = owned;
        }

        var built = factory.Create(p, http);
        return new ChainProvider(p.Name, p.Model, built, ownsClient: true, owned, observesHttp: owned is not null,
            requireFinish, attemptTimeout, firstTokenTimeout, maxRetries, p.ContextWindow)
        {
            Breaker = NewBreaker(options, p),
            MaxOutputTokens = p.MaxOutputTokens,
            Continuation = p.Continuation ?? Streaming.ContinuationModes.For(p.Kind, p.Endpoint),
            StallTimeout = p.StallTimeout ?? options.Streaming.StallTimeout,
        };
    }

    private CircuitBreaker? NewBreaker(FallbackOptions options, ProviderOptions provider)
    {
        if (!options.CircuitBreaker.Enabled)
        {
            return null;
        }

        var breaker = new CircuitBreaker($"{provider.Name}/{provider.Model}", options.CircuitBreaker, _timeProvider);
        breaker.Transitioned += OnBreakerTransition;
        return breaker;
    }

    private void OnBreakerTransition(CircuitBreaker breaker, CircuitState from, CircuitState to, DateTimeOffset openUntil)
    {
        Log.BreakerTransition(_logger, breaker.Key, from, to, openUntil);
        FallbackTelemetry.RecordBreakerTransition(breaker.Key, from, to);
        if (to != CircuitState.HalfOpen && _stateStore is { } store)
        {
            store.Publish(new ProviderStateChange(breaker.Key, to, openUntil, null, store.ReplicaId));
        }
    }

    private static IProviderClientFactory? DiscoverFactory(ProviderOptions provider)
    {
        // Lets a referenced SkFallback.<Kind> package work without registration, as a user would expect.
        var type = Type.GetType($"SkFallback.{provider.Kind}.{provider.Kind}ProviderClientFactory, SkFallback.{provider.Kind}", throwOnError: false, ignoreCase: true);
        return type is not null && Activator.CreateInstance(type) is IProviderClientFactory factory && factory.CanCreate(provider) ? factory : null;
    }
}
