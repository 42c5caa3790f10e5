using System.Collections.Concurrent;
using SkFallback.CircuitBreaking;

namespace SkFallback.Redis.Tests;

/// <summary>Collects the changes a store delivers to a subscriber.</summary>
internal sealed class ChangeRecorder
{
    private readonly ConcurrentQueue<ProviderStateChange> _changes = new();

    public IReadOnlyList<ProviderStateChange> Changes => [.. _changes];

    public void Record(ProviderStateChange change) => _changes.Enqueue(change);

    public bool Has(Func<ProviderStateChange, bool> predicate) => _changes.Any(predicate);

    public ProviderStateChange Last(string providerKey) => _changes.Last(c => c.ProviderKey == providerKey);
}
