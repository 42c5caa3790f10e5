using Microsoft.Extensions.Logging;
using SkFallback.Diagnostics;
using SkFallback.Routing;

namespace SkFallback.CircuitBreaking;

/// <summary>
/// Shares a chain's breaker states and cooldowns with other replicas through an <see cref="IProviderStateStore"/>:
/// publishes local transitions and cooldowns, applies other replicas' changes, and lets the store grant half-open probes.
/// </summary>
internal sealed class ProviderStateSync : IDisposable
{
    private readonly IProviderStateStore _store;
    private readonly ChainProvider[] _providers;
    private readonly IDisposable _subscription;

    public ProviderStateSync(IProviderStateStore store, ChainProvider[] providers, TimeSpan probeLease)
    {
        _store = store;
        _providers = providers;
        foreach (var provider in providers)
        {
            if (provider.Breaker is { } breaker)
            {
                breaker.ProbeGate = key => store.TryAcquireProbe(key, probeLease);
            }
        }

        _subscription = store.Subscribe(Apply);
    }

    /// <summary>Watches a breaker's transitions: each is logged and counted, and, with a store, published (half-open stays local).</summary>
    public static void Watch(CircuitBreaker breaker, ILogger logger, ChainTelemetry telemetry, Func<ProviderStateSync?> sync)
    {
        breaker.Transitioned += (b, from, to, openUntil) =>
        {
            Log.BreakerTransition(logger, b.Key, from, to, openUntil);
            telemetry.RecordBreakerTransition(b.Key, from, to);
            if (to != CircuitState.HalfOpen)
            {
                sync()?.Publish(new ProviderStateChange(b.Key, to, openUntil, null, string.Empty));
            }
        };
    }

    /// <summary>Publishes a rate-limit cooldown; the breaker fields restate the current state, so a cooldown never moves shared breaker state back.</summary>
    public void PublishCooldown(ChainProvider provider, DateTimeOffset until)
    {
        var open = provider.Breaker is { State: not CircuitState.Closed };
        Publish(new ProviderStateChange(provider.Key, open ? CircuitState.Open : CircuitState.Closed, provider.Breaker?.OpenUntil ?? default, until, string.Empty));
    }

    public void Dispose() => _subscription.Dispose();

    private void Publish(ProviderStateChange change) => _store.Publish(change with { Origin = _store.ReplicaId });

    /// <summary>Applies another replica's change to the local state of the provider it names.</summary>
    private void Apply(ProviderStateChange change)
    {
        if (string.Equals(change.Origin, _store.ReplicaId, StringComparison.Ordinal))
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
}
