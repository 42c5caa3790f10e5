namespace SkFallback.Caching;

/// <summary>What one call looks up and, on a miss, stores.</summary>
internal sealed class CacheLookup(CacheRequestKey key, string tenant, bool semantic, int? minTier)
{
    public CacheRequestKey Key { get; } = key;

    public string Tenant { get; } = tenant;

    public bool Semantic { get; } = semantic;

    public int? MinTier { get; } = minTier;

    public ReadOnlyMemory<float> Vector { get; set; }

    public bool Failed { get; set; }
}
