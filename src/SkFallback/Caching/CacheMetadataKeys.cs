namespace SkFallback.Caching;

/// <summary>
/// Keys of the response cache: on an answer served from the cache (in <c>ChatResponse.AdditionalProperties</c>, and on the
/// first and last updates of a replayed stream), and on a request (in <c>ChatOptions.AdditionalProperties</c>).
/// </summary>
/// <remarks>
/// An answer served from the cache also carries <see cref="FallbackMetadataKeys.Provider"/> and
/// <see cref="FallbackMetadataKeys.Model"/> naming the provider and model that originally produced it, and an empty
/// <see cref="FallbackMetadataKeys.Attempts"/> list: no provider was called.
/// </remarks>
public static class CacheMetadataKeys
{
    /// <summary>On an answer: which cache layer served it, <see cref="ExactHit"/> or <see cref="SemanticHit"/> (<see cref="string"/>); absent when a provider answered.</summary>
    public const string Hit = "skfallback.cache.hit";

    /// <summary>The value of <see cref="Hit"/> for an answer found by its exact request key.</summary>
    public const string ExactHit = "exact";

    /// <summary>The value of <see cref="Hit"/> for an answer found by similarity of the last user turn.</summary>
    public const string SemanticHit = "semantic";

    /// <summary>On a semantic hit: the cosine similarity of the last user turn to the cached one (<see cref="float"/>).</summary>
    public const string Similarity = "skfallback.cache.similarity";

    /// <summary>On an answer from the cache: when the provider originally produced it (<see cref="DateTimeOffset"/>).</summary>
    public const string CachedAt = "skfallback.cache.cached_at";

    /// <summary>On an answer from the cache: what the original call cost at catalog prices, in US dollars, and so what this hit saved (<see cref="decimal"/>); absent when unknown.</summary>
    public const string SavedCostUsd = "skfallback.cache.saved_usd";

    /// <summary>On a request: the tenant the call is made for (<see cref="string"/>); cached answers are never shared across tenants.</summary>
    public const string Tenant = "skfallback.tenant";

    /// <summary>On a request: <see langword="true"/> skips the cache for this call, both lookup and storage.</summary>
    public const string Bypass = "skfallback.cache.bypass";

    /// <summary>On a request: <see langword="true"/> declares it deterministic whatever its temperature, opting it in to both cache layers.</summary>
    public const string Deterministic = "skfallback.cache.deterministic";

    /// <summary>On a request: the lowest quality tier, 1–5 (a number), of the model whose cached answer may be served; <see cref="SemanticCacheOptions.MinQualityTier"/> by default.</summary>
    public const string MinQualityTier = "skfallback.min_quality_tier";
}
