using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using SkFallback.CircuitBreaking;

namespace SkFallback.Redis;

/// <summary>The engine's subscriptions to a <see cref="RedisProviderStateStore"/>: added, removed, and given changes one by one (a failing one is logged, not fatal).</summary>
internal sealed class StateSubscribers(ILogger logger)
{
    private readonly Lock _gate = new();
    private ImmutableArray<Subscription> _subscribers = [];

    /// <summary>Gets the subscriptions at this moment.</summary>
    public ImmutableArray<Subscription> Current => _subscribers;

    public Subscription Add(Action<ProviderStateChange> onChange)
    {
        var subscription = new Subscription(this, onChange);
        lock (_gate)
        {
            _subscribers = _subscribers.Add(subscription);
        }

        return subscription;
    }

    public void Clear()
    {
        lock (_gate)
        {
            _subscribers = [];
        }
    }

    public void Deliver(ProviderStateChange change, ImmutableArray<Subscription> subscribers)
    {
        foreach (var subscription in subscribers)
        {
            if (subscription.IsDisposed)
            {
                continue;
            }

            try
            {
                subscription.OnChange(change);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                RedisProviderStateLog.SubscriberFailed(logger, ex, change.ProviderKey);
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Remove(subscription);
        }
    }

    /// <summary>One subscription; disposing it removes it.</summary>
    internal sealed class Subscription(StateSubscribers owner, Action<ProviderStateChange> onChange) : IDisposable
    {
        private int _disposed;

        public Action<ProviderStateChange> OnChange { get; } = onChange;

        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(this);
            }
        }
    }
}
