namespace SkFallback.CircuitBreaking;

/// <summary>
/// Shares breaker states and rate-limit cooldowns between replicas of an app (the in-process default shares
/// nothing). The engine calls it only when something changes (a breaker opens or closes, a provider is rate
/// limited, an open breaker is due a probe), never on the healthy path. Implementations must not throw:
/// when the shared store is unreachable the engine keeps working on its local state.
/// </summary>
public interface IProviderStateStore
{
    /// <summary>Gets an id unique to this replica, used as <see cref="ProviderStateChange.Origin"/>.</summary>
    string ReplicaId { get; }

    /// <summary>Records a change made by this replica and tells the others (fire and forget).</summary>
    /// <param name="change">The change.</param>
    void Publish(ProviderStateChange change);

    /// <summary>
    /// Asks for the right to send the single half-open probe to an open provider, across all replicas, for at
    /// most <paramref name="lease"/>. Returns <see langword="true"/> when the store is unreachable (local state rules then).
    /// </summary>
    /// <param name="providerKey">The provider and model, <c>{provider}/{model}</c>.</param>
    /// <param name="lease">How long the right lasts if the probe never reports back.</param>
    /// <returns>Whether this replica may send the probe.</returns>
    bool TryAcquireProbe(string providerKey, TimeSpan lease);

    /// <summary>
    /// Starts delivering changes made by other replicas (and, on start and after the store comes back, the
    /// current shared state of every provider) to <paramref name="onChange"/>.
    /// </summary>
    /// <param name="onChange">Receives changes; called from the store's threads.</param>
    /// <returns>A handle that stops delivery when disposed.</returns>
    IDisposable Subscribe(Action<ProviderStateChange> onChange);
}
