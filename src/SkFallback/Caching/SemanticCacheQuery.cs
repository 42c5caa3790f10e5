namespace SkFallback.Caching;

/// <summary>A similarity search inside one namespace, tenant and partition of a <see cref="ISemanticCacheStore"/>.</summary>
public sealed record SemanticCacheQuery
{
    /// <summary>Gets the namespace to search (<see cref="SemanticCacheEntry.Namespace"/>).</summary>
    public required string Namespace { get; init; }

    /// <summary>Gets the tenant to search; the empty string for requests that named none.</summary>
    public required string Tenant { get; init; }

    /// <summary>Gets the partition to search (<see cref="SemanticCacheEntry.Partition"/>).</summary>
    public required string Partition { get; init; }

    /// <summary>Gets the query vector (the embedding of the last user turn); it need not be normalised.</summary>
    public required ReadOnlyMemory<float> Vector { get; init; }

    /// <summary>Gets the lowest cosine similarity a match may have.</summary>
    public required float MinSimilarity { get; init; }

    /// <summary>Gets the most matches to return.</summary>
    /// <value>Defaults to 4.</value>
    public int MaxResults { get; init; } = 4;

    /// <summary>Gets the current time: entries expiring at or before it do not match.</summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>Gets the lowest <see cref="SemanticCacheEntry.QualityTier"/> a match may have; <see langword="null"/> for any (entries without a tier then match too).</summary>
    public int? MinQualityTier { get; init; }
}
