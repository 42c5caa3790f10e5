namespace SkFallback.Caching;

/// <summary>
/// Configures the response cache placed above a fallback chain: an exact layer keyed by the whole canonical request,
/// then a semantic layer matching the last user turn by embedding similarity within the rest of the request.
/// </summary>
/// <remarks>Bound from the configuration section <see cref="SectionName"/> (<c>SkFallback:Cache</c>) or set in code; validated when the cache is built.</remarks>
public sealed class SemanticCacheOptions
{
    /// <summary>The configuration section the options bind from by default.</summary>
    public const string SectionName = "SkFallback:Cache";

    /// <summary>
    /// The similarity threshold used when none is configured, chosen from measurements with MiniLM embeddings on the
    /// 235 labelled pairs shipped with the tests: precision 1.000 from 0.80 up (the last false positive is at 0.78),
    /// recall 0.934 at 0.85, which keeps a margin above the last false positive.
    /// </summary>
    public const float DefaultSimilarityThreshold = 0.85f;

    /// <summary>Gets or sets how long a cached answer is served.</summary>
    /// <value>Defaults to 1 hour. Allowed range 1 s–30 days.</value>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets the most entries the default in-process store holds; beyond it the least recently used are evicted.</summary>
    /// <value>Defaults to 10,000. Allowed range 1–10,000,000.</value>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>Gets or sets the lowest cosine similarity between the last user turn and a cached one for a semantic hit.</summary>
    /// <value>Defaults to <see cref="DefaultSimilarityThreshold"/>. Allowed range 0.5–1.</value>
    public float SimilarityThreshold { get; set; } = DefaultSimilarityThreshold;

    /// <summary>Gets or sets a value indicating whether the semantic layer is used (it also needs an embedding generator).</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool SemanticEnabled { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether a near match whose numbers, quoted strings, named entities or negations
    /// differ from the request's is rejected ("refund order 1234" never serves "refund order 5678").
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Guard { get; set; } = true;

    /// <summary>Gets or sets how many of the most similar entries the semantic layer asks the store for and passes through the guard.</summary>
    /// <value>Defaults to 4. Allowed range 1–64.</value>
    public int MaxCandidates { get; set; } = 4;

    /// <summary>Gets or sets the namespace of the entries: caches with different namespaces in one store never share answers. Use one per embedding model.</summary>
    /// <value>Defaults to <c>skfallback</c>. Letters, digits, '-' and '_', at most 64 characters.</value>
    public string Namespace { get; set; } = "skfallback";

    /// <summary>
    /// Gets or sets a value indicating whether requests that are not deterministic (temperature other than 0 and no
    /// <see cref="CacheMetadataKeys.Deterministic"/> opt-in) use the exact layer; they never use the semantic layer
    /// unless <see cref="SemanticForNonDeterministic"/> is set.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>: such requests bypass the cache.</value>
    public bool CacheNonDeterministic { get; set; }

    /// <summary>Gets or sets a value indicating whether every request, whatever its temperature, may use the semantic layer.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool SemanticForNonDeterministic { get; set; }

    /// <summary>Gets or sets a value indicating whether answers that ask for tool calls are cached and served.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool CacheToolCalls { get; set; }

    /// <summary>Gets or sets a value indicating whether answers cut off by the output limit (finish reason <c>length</c>) are cached.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool CacheTruncated { get; set; }

    /// <summary>Gets or sets a value indicating whether refusals (finish reason <c>content_filter</c>, or text opening with a refusal phrase) are cached.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool CacheRefusals { get; set; }

    /// <summary>Gets or sets the refusal openings that keep an answer out of the cache.</summary>
    /// <value>Defaults to <see langword="null"/>, meaning <see cref="FallbackOptions.DefaultRefusalPhrases"/>.</value>
    public IList<string>? RefusalPhrases { get; set; }

    /// <summary>
    /// Gets or sets the lowest price-catalog quality tier (1–5) of the model whose cached answer may be served; answers of
    /// models without a known tier are then not served. A request can set its own with <see cref="CacheMetadataKeys.MinQualityTier"/>.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: an answer serves whichever provider and model produced it.</value>
    public int? MinQualityTier { get; set; }

    /// <summary>A copy, so one pipeline's adjustments leave the registered options alone.</summary>
    internal SemanticCacheOptions Clone()
    {
        var copy = (SemanticCacheOptions)MemberwiseClone();
        copy.RefusalPhrases = RefusalPhrases is null ? null : [.. RefusalPhrases];
        return copy;
    }
}
