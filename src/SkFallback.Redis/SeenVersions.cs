using System.Collections.Concurrent;

namespace SkFallback.Redis;

/// <summary>The highest shared version of each provider this replica has delivered or written, so stale and repeated records are skipped.</summary>
internal sealed class SeenVersions
{
    private readonly ConcurrentDictionary<string, long> _versions = new(StringComparer.Ordinal);

    /// <summary>The version a change of this replica is merged over (0 when none has been seen).</summary>
    public long Of(string providerKey)
    {
        _versions.TryGetValue(providerKey, out long version);
        return version;
    }

    /// <summary>Moves a provider's version forward; <see langword="false"/> when <paramref name="version"/> is not newer than the one seen.</summary>
    public bool Advance(string providerKey, long version)
    {
        while (true)
        {
            if (!_versions.TryGetValue(providerKey, out long seen))
            {
                if (_versions.TryAdd(providerKey, version))
                {
                    return true;
                }

                continue;
            }

            if (version <= seen)
            {
                return false;
            }

            if (_versions.TryUpdate(providerKey, version, seen))
            {
                return true;
            }
        }
    }
}
