namespace SkFallback.Caching;

/// <summary>
/// Where the response cache keeps its entries: exact lookups by key and similarity searches inside one partition of one
/// tenant. The in-process default is <see cref="InMemorySemanticCacheStore"/>; a vector database fits behind the same
/// interface (namespace as a collection, tenant and partition as payload filters, expiry as a timestamp filter).
/// </summary>
/// <remarks>
/// Implementations are thread-safe. An entry whose <see cref="SemanticCacheEntry.ExpiresAt"/> is at or before the time a
/// lookup passes is never returned, whether or not <see cref="RemoveExpiredAsync"/> has run yet. A store that cannot be
/// reached throws; the cache middleware then bypasses the cache for that call and logs a warning.
/// </remarks>
public interface ISemanticCacheStore
{
    /// <summary>Adds an entry, or replaces the entry with the same <see cref="SemanticCacheEntry.Key"/>.</summary>
    /// <param name="entry">The entry. Its vector, when not empty, must have as many dimensions as the other vectors of its namespace.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the entry can be found.</returns>
    ValueTask UpsertAsync(SemanticCacheEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Finds the unexpired entry with exactly this key.</summary>
    /// <param name="key">The entry key (<see cref="SemanticCacheEntry.Key"/>).</param>
    /// <param name="now">The current time: entries expiring at or before it are not returned.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The entry, or <see langword="null"/>.</returns>
    ValueTask<SemanticCacheEntry?> GetAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Finds the unexpired entries of the query's namespace, tenant and partition whose vectors have at least
    /// <see cref="SemanticCacheQuery.MinSimilarity"/> cosine similarity with the query vector, most similar first.
    /// </summary>
    /// <param name="query">What to search for and where.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>At most <see cref="SemanticCacheQuery.MaxResults"/> matches, most similar first; empty when none qualifies.</returns>
    ValueTask<IReadOnlyList<SemanticCacheMatch>> SearchAsync(SemanticCacheQuery query, CancellationToken cancellationToken = default);

    /// <summary>Removes the entry with this key, if any.</summary>
    /// <param name="key">The entry key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when an entry was removed.</returns>
    ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Removes every entry that expires at or before <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many entries were removed (a store that cannot tell returns 0).</returns>
    ValueTask<int> RemoveExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Counts the entries held, expired ones not yet removed included.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of entries.</returns>
    ValueTask<long> CountAsync(CancellationToken cancellationToken = default);
}
