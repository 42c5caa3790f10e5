namespace SkFallback.Caching;

/// <summary>One cached answer: its keys, the vector of the user turn it answered, and the serialized response.</summary>
public sealed record SemanticCacheEntry
{
    /// <summary>Gets the exact key: a hex SHA-256 of the canonical request (tenant and namespace included), unique in a store.</summary>
    public required string Key { get; init; }

    /// <summary>Gets the namespace: entries of different namespaces (for example different embedding models) never match each other.</summary>
    public required string Namespace { get; init; }

    /// <summary>Gets the tenant the answer was produced for; the empty string when the request named none.</summary>
    public required string Tenant { get; init; }

    /// <summary>Gets the partition: a hex SHA-256 of everything in the request except the last user turn (system prompt, earlier turns, tools, tool choice, response format, sampling parameters).</summary>
    public required string Partition { get; init; }

    /// <summary>Gets the text of the last user turn the answer was produced for, which the similarity guard compares; <see langword="null"/> for entries without a vector.</summary>
    public string? Prompt { get; init; }

    /// <summary>Gets the embedding of <see cref="Prompt"/>; empty for entries that serve exact lookups only.</summary>
    public ReadOnlyMemory<float> Vector { get; init; }

    /// <summary>Gets the serialized response (JSON, as written by the cache middleware).</summary>
    public required string Response { get; init; }

    /// <summary>Gets when the entry was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets when the entry stops being served.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Gets the provider that produced the answer, when known.</summary>
    public string? Provider { get; init; }

    /// <summary>Gets the model that produced the answer, when known.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the quality tier (1–5) of <see cref="Model"/> in the price catalog, when known.</summary>
    public int? QualityTier { get; init; }
}
