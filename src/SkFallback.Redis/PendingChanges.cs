using System.Collections.Concurrent;
using SkFallback.CircuitBreaking;

namespace SkFallback.Redis;

/// <summary>This replica's latest change per provider that Redis could not take, replayed when it returns.</summary>
internal sealed class PendingChanges
{
    private readonly ConcurrentDictionary<string, ProviderStateChange> _changes = new(StringComparer.Ordinal);

    /// <summary>Remembers a change (a later cooldown of the one it replaces is kept).</summary>
    public void Keep(ProviderStateChange change) =>
        _changes.AddOrUpdate(
            change.ProviderKey,
            static (_, latest) => latest,
            static (_, old, latest) => old.CooldownUntil > (latest.CooldownUntil ?? DateTimeOffset.MinValue)
                ? latest with { CooldownUntil = old.CooldownUntil }
                : latest,
            change);

    /// <summary>Takes every remembered change, and returns those that still matter at <paramref name="now"/>.</summary>
    public List<ProviderStateChange> TakeLive(DateTimeOffset now)
    {
        var live = new List<ProviderStateChange>();
        foreach (var key in _changes.Keys)
        {
            if (!_changes.TryRemove(key, out var change))
            {
                continue;
            }

            // A break or cooldown that ended during the outage is history; a close still matters.
            bool stale = change.State == CircuitState.Open && change.OpenUntil <= now && !(change.CooldownUntil > now);
            if (!stale)
            {
                live.Add(change);
            }
        }

        return live;
    }
}
