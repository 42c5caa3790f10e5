using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Qdrant.Client.Grpc;

namespace SkFallback.Qdrant;

/// <summary>
/// The collections of one <see cref="QdrantSemanticCacheStore"/>: their list (refreshed every refresh interval), the
/// shape of those seen or created (a mismatch is remembered so it fails fast), those found missing (not asked again
/// before the refresh interval passes), and creating a collection with its payload indexes.
/// </summary>
internal sealed class QdrantCollections
{
    private readonly IQdrantCacheClient _client;
    private readonly string _prefix;
    private readonly TimeSpan _refreshInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Collections this store has seen or created, with their shape; a mismatch is remembered so it fails fast.</summary>
    private readonly ConcurrentDictionary<string, QdrantCollectionShape> _shapes = new(StringComparer.Ordinal);

    /// <summary>Collections found missing, and when: not asked again before the refresh interval passes.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _absent = new(StringComparer.Ordinal);

    private CollectionList? _listed;

    public QdrantCollections(IQdrantCacheClient client, string prefix, TimeSpan refreshInterval, TimeProvider time, ILogger logger)
    {
        _client = client;
        _prefix = prefix;
        _refreshInterval = refreshInterval;
        _time = time;
        _logger = logger;
    }

    /// <summary>The store's collections: listed from Qdrant when <paramref name="force"/>d or when the last list is older than the refresh interval, plus those created since.</summary>
    public async Task<IReadOnlyCollection<string>> ListAsync(bool force, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var listed = Volatile.Read(ref _listed);
        if (force || listed is null || now - listed.At >= _refreshInterval)
        {
            var all = await _client.ListCollectionsAsync(cancellationToken).ConfigureAwait(false);
            listed = new CollectionList(all.Where(c => c.StartsWith(_prefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal), now);
            Volatile.Write(ref _listed, listed);
            foreach (var known in _shapes.Keys)
            {
                if (!listed.Names.Contains(known))
                {
                    _shapes.TryRemove(known, out _);
                }
            }
        }

        var names = new HashSet<string>(listed.Names, StringComparer.Ordinal);
        names.UnionWith(_shapes.Keys);
        return names;
    }

    public async Task<bool> ExistsAsync(string collection, CancellationToken cancellationToken) =>
        _shapes.ContainsKey(collection) || (await ListAsync(force: false, cancellationToken).ConfigureAwait(false)).Contains(collection);

    /// <summary>The collection's shape, from memory or Qdrant; <see langword="null"/> when it does not exist (remembered for the refresh interval).</summary>
    public async Task<QdrantCollectionShape?> FindAsync(string collection, CancellationToken cancellationToken)
    {
        if (_shapes.TryGetValue(collection, out var known))
        {
            return known;
        }

        if (_absent.TryGetValue(collection, out var since) && _time.GetUtcNow() - since < _refreshInterval)
        {
            return null;
        }

        var shape = await _client.GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
        if (shape is null)
        {
            _absent[collection] = _time.GetUtcNow();
            return null;
        }

        _absent.TryRemove(collection, out _);
        _shapes[collection] = shape;
        return shape;
    }

    public async Task EnsureAsync(string collection, int dimensions, (string Field, PayloadSchemaType Type, bool IsTenant)[] indexes, CancellationToken cancellationToken)
    {
        if (!_shapes.TryGetValue(collection, out var shape))
        {
            shape = await _client.GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
            if (shape is null)
            {
                try
                {
                    await _client.CreateCollectionAsync(collection, dimensions, cancellationToken).ConfigureAwait(false);
                    QdrantCacheLog.CollectionCreated(_logger, collection, dimensions);
                }
                catch (RpcException e) when (!QdrantOutageGuard.IsOutage(e.StatusCode))
                {
                    // Another replica may have created it a moment ago; anything else is a real error.
                    shape = await _client.GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
                    if (shape is null)
                    {
                        throw;
                    }
                }

                shape ??= new QdrantCollectionShape(dimensions, Distance.Cosine, new HashSet<string>(StringComparer.Ordinal));
            }

            // Remembered before the check, so a mismatch keeps failing without a round trip.
            _shapes[collection] = shape;
            _absent.TryRemove(collection, out _);
        }

        CheckShape(collection, shape, dimensions);
        if (indexes.All(i => shape.IndexedFields.Contains(i.Field)))
        {
            return;
        }

        // Also completes the indexes of a collection whose creator stopped half way.
        var indexed = new HashSet<string>(shape.IndexedFields, StringComparer.Ordinal);
        foreach (var (field, type, isTenant) in indexes)
        {
            if (!indexed.Contains(field))
            {
                var parameters = isTenant ? new PayloadIndexParams { KeywordIndexParams = new KeywordIndexParams { IsTenant = true } } : null;
                await _client.CreatePayloadIndexAsync(collection, field, type, parameters, cancellationToken).ConfigureAwait(false);
                indexed.Add(field);
                _shapes[collection] = shape with { IndexedFields = new HashSet<string>(indexed, StringComparer.Ordinal) };
            }
        }
    }

    public static void CheckShape(string collection, QdrantCollectionShape shape, int dimensions)
    {
        if (shape.Dimensions is not int actual)
        {
            throw new QdrantCollectionMismatchException(
                collection,
                dimensions,
                null,
                $"Qdrant collection '{collection}' has named vectors or none, but the cache needs one unnamed vector of {dimensions} dimensions; delete the collection or choose another cache namespace or collection prefix.");
        }

        if (collection.EndsWith(QdrantSemanticCacheStore.ExactCollectionSuffix, StringComparison.Ordinal))
        {
            return; // holds entries without a vector: its vector size never matters
        }

        if (actual != dimensions)
        {
            throw new QdrantCollectionMismatchException(
                collection,
                dimensions,
                actual,
                $"Qdrant collection '{collection}' holds vectors of {actual} dimensions, but the cache's embeddings have {dimensions}; use one cache namespace per embedding model, or delete the collection so it is created again.");
        }

        if (shape.Distance != Distance.Cosine)
        {
            throw new QdrantCollectionMismatchException(
                collection,
                dimensions,
                actual,
                $"Qdrant collection '{collection}' uses {shape.Distance} distance, but the cache needs Cosine; delete the collection so it is created again, or choose another cache namespace.");
        }
    }

    public void Forget(string collection)
    {
        _shapes.TryRemove(collection, out _);
        _absent[collection] = _time.GetUtcNow();
    }

    public async Task<IReadOnlyList<RetrievedPoint>> RetrieveAsync(string collection, PointId id, CancellationToken cancellationToken) =>
        await IgnoreMissingAsync<IReadOnlyList<RetrievedPoint>>(collection, () => _client.RetrieveAsync(collection, id, cancellationToken), []).ConfigureAwait(false);

    public Task<bool> IgnoreMissingAsync(string collection, Func<Task> action) =>
        IgnoreMissingAsync(collection, async () => { await action().ConfigureAwait(false); return true; }, false);

    public Task<ulong> IgnoreMissingAsync(string collection, Func<Task<ulong>> action) =>
        IgnoreMissingAsync(collection, action, 0UL);

    /// <summary>A collection deleted behind the store's back holds nothing: its absence is not an error.</summary>
    private async Task<T> IgnoreMissingAsync<T>(string collection, Func<Task<T>> action, T whenMissing)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            Forget(collection);
            return whenMissing;
        }
    }

    private sealed record CollectionList(HashSet<string> Names, DateTimeOffset At);
}
