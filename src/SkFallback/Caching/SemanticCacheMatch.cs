namespace SkFallback.Caching;

/// <summary>An entry found by a similarity search and its cosine similarity to the query.</summary>
/// <param name="Entry">The entry.</param>
/// <param name="Similarity">The cosine similarity, -1 to 1.</param>
public sealed record SemanticCacheMatch(SemanticCacheEntry Entry, float Similarity);
