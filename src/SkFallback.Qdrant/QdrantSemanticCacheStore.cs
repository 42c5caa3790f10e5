using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Qdrant.Client.Grpc;
using SkFallback.Caching;

namespace SkFallback.Qdrant;

/// <summary>
/// An <see cref="ISemanticCacheStore"/> in Qdrant, over its gRPC API: one collection per cache namespace (one unnamed
/// vector, cosine distance, created on demand with the size of the first vector stored), tenant and partition as indexed
/// keyword payloads, expiry as an indexed timestamp payload that every read filters on, plus
/// <see cref="RemoveExpiredAsync"/> (run periodically by <see cref="QdrantCacheCleanupService"/>) to reclaim space.
/// </summary>
/// <remarks>
/// <para>
/// Entries without a vector (exact lookups only) live in a second collection per namespace, <c>{prefix}{namespace}.exact</c>,
/// created when the first one is stored, so a namespace's vector size is always that of a real embedding. Exact lookups
/// (<see cref="GetAsync"/>) look in every collection of the store, whose list is refreshed every
/// <see cref="QdrantCacheOptions.CollectionRefreshInterval"/>. Entries read back carry no <see cref="SemanticCacheEntry.Vector"/>.
/// Expiry is kept to the millisecond, rounded down.
/// </para>
/// <para>
/// The constructor does not contact Qdrant, so an app starts while Qdrant is down. When Qdrant cannot be reached or does
/// not answer within <see cref="QdrantCacheOptions.Timeout"/>, operations throw <see cref="QdrantCacheUnavailableException"/>
/// (never the gRPC client's errors), the store logs one warning for the outage, and for
/// <see cref="QdrantCacheOptions.OutageBackoff"/> after each failure operations throw at once without contacting Qdrant.
/// A collection whose vectors do not fit gives <see cref="QdrantCollectionMismatchException"/>.
/// </para>
/// </remarks>
public sealed class QdrantSemanticCacheStore : ISemanticCacheStore, IDisposable
{
    /// <summary>The suffix of the collection holding a namespace's entries without a vector.</summary>
    public const string ExactCollectionSuffix = ".exact";

    private readonly IQdrantCacheClient _client;
    private readonly bool _ownsClient;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _endpoint;
    private readonly string _prefix;
    private readonly TimeSpan _backoff;
    private readonly TimeSpan _refreshInterval;
    private readonly bool _exactSearch;

    private readonly QdrantOutageGuard _outage;
    private readonly QdrantCollections _collections;

    /// <summary>Initializes a new instance of the <see cref="QdrantSemanticCacheStore"/> class; Qdrant is first contacted by the first operation.</summary>
    /// <param name="options">Where Qdrant is and how to use it; validated here.</param>
    /// <param name="logger">Receives the outage warning, its end and collection creations; never the API key.</param>
    /// <param name="timeProvider">The clock for backoff, collection refreshes and outage durations; the system clock by default.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is invalid; the message names its key.</exception>
    public QdrantSemanticCacheStore(QdrantCacheOptions options, ILogger<QdrantSemanticCacheStore>? logger = null, TimeProvider? timeProvider = null)
        : this(options, CreateClient(options), ownsClient: true, logger, timeProvider)
    {
    }

    internal QdrantSemanticCacheStore(QdrantCacheOptions options, IQdrantCacheClient client, bool ownsClient, ILogger? logger, TimeProvider? timeProvider)
    {
        QdrantCacheOptionsValidator.ThrowIfInvalid(options);
        _client = client;
        _ownsClient = ownsClient;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _endpoint = QdrantCacheOptionsValidator.Describe(new Uri(options.Endpoint!, UriKind.Absolute));
        _prefix = options.CollectionPrefix;
        _backoff = options.OutageBackoff;
        _refreshInterval = options.CollectionRefreshInterval;
        _exactSearch = options.ExactSearch;
        _outage = new QdrantOutageGuard(_endpoint, _backoff, _time, _logger);
        _collections = new QdrantCollections(client, _prefix, _refreshInterval, _time, _logger);
    }

    /// <summary>Gets Qdrant's scheme, host and port (no credentials).</summary>
    public string Endpoint => _endpoint;

    /// <summary>Gets a value indicating whether the last contact with Qdrant failed because it was unreachable.</summary>
    public bool IsUnavailable => _outage.IsUnavailable;

    /// <summary>The collection holding the entries with a vector of <paramref name="ns"/>.</summary>
    /// <param name="ns">The cache namespace.</param>
    /// <returns>The collection name.</returns>
    public string CollectionFor(string ns) => _prefix + ns;

    /// <inheritdoc />
    public async ValueTask UpsertAsync(SemanticCacheEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.Key);
        ArgumentNullException.ThrowIfNull(entry.Tenant);
        ArgumentNullException.ThrowIfNull(entry.Partition);
        ArgumentNullException.ThrowIfNull(entry.Response);
        CheckNamespace(entry.Namespace);
        cancellationToken.ThrowIfCancellationRequested();

        var id = PointIdFor(entry.Key);
        var hasVector = !entry.Vector.IsEmpty;
        var vector = hasVector ? Normalized(entry.Vector.Span) : null;
        var target = hasVector ? CollectionFor(entry.Namespace) : ExactCollectionFor(entry.Namespace);
        var other = hasVector ? ExactCollectionFor(entry.Namespace) : CollectionFor(entry.Namespace);
        var point = new PointStruct
        {
            Id = id,
            Vectors = vector is null ? new Vectors { Vectors_ = new NamedVectors() } : vector,
        };
        QdrantCachePayload.WritePayload(point.Payload, entry);

        await _outage.RunAsync(
            "upsert",
            async ct =>
            {
                await _collections.EnsureAsync(target, vector?.Length ?? 1, hasVector ? QdrantCachePayload.VectorIndexes : QdrantCachePayload.ExactIndexes, ct).ConfigureAwait(false);
                await _client.UpsertAsync(target, point, ct).ConfigureAwait(false);

                // One key, one entry: a version stored in the namespace's other collection is replaced too.
                if (await _collections.ExistsAsync(other, ct).ConfigureAwait(false))
                {
                    await _collections.IgnoreMissingAsync(other, () => _client.DeleteAsync(other, id, ct)).ConfigureAwait(false);
                }

                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<SemanticCacheEntry?> GetAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var id = PointIdFor(key);
        var cutoff = QdrantCachePayload.UnixMilliseconds(now);
        return await _outage.RunAsync(
            "lookup",
            async ct =>
            {
                var collections = await _collections.ListAsync(force: false, ct).ConfigureAwait(false);
                var found = await Task.WhenAll(collections.Select(c => _collections.RetrieveAsync(c, id, ct))).ConfigureAwait(false);
                SemanticCacheEntry? best = null;
                foreach (var points in found)
                {
                    foreach (var point in points)
                    {
                        if (QdrantCachePayload.Text(point.Payload, QdrantCachePayload.KeyField) != key || QdrantCachePayload.Integer(point.Payload, QdrantCachePayload.ExpiresAtField) <= cutoff)
                        {
                            continue;
                        }

                        // Two copies exist only when replicas raced across a namespace's two collections: the newer wins.
                        var entry = QdrantCachePayload.ReadEntry(point.Payload);
                        if (best is null || entry.CreatedAt > best.CreatedAt)
                        {
                            best = entry;
                        }
                    }
                }

                return best;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<SemanticCacheMatch>> SearchAsync(SemanticCacheQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Vector.IsEmpty)
        {
            throw new ArgumentException("The query vector is empty.", nameof(query));
        }

        if (query.MaxResults < 1)
        {
            throw new ArgumentException($"MaxResults must be at least 1 (was {query.MaxResults}).", nameof(query));
        }

        ArgumentNullException.ThrowIfNull(query.Tenant);
        ArgumentNullException.ThrowIfNull(query.Partition);
        CheckNamespace(query.Namespace);
        cancellationToken.ThrowIfCancellationRequested();
        var vector = Normalized(query.Vector.Span);
        var collection = CollectionFor(query.Namespace);
        var cutoff = QdrantCachePayload.UnixMilliseconds(query.Now);
        var filter = QdrantCachePayload.SearchFilter(query);
        return await _outage.RunAsync<IReadOnlyList<SemanticCacheMatch>>(
            "search",
            async ct =>
            {
                var shape = await _collections.FindAsync(collection, ct).ConfigureAwait(false);
                if (shape is null)
                {
                    return [];
                }

                QdrantCollections.CheckShape(collection, shape, vector.Length);
                IReadOnlyList<ScoredPoint> points;
                try
                {
                    points = await _client.QueryAsync(collection, vector, filter, query.MaxResults, query.MinSimilarity, _exactSearch, ct).ConfigureAwait(false);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
                {
                    _collections.Forget(collection);
                    return [];
                }

                return Matches(points, query.MinSimilarity, cutoff);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var id = PointIdFor(key);
        return await _outage.RunAsync(
            "remove",
            async ct =>
            {
                var removed = false;
                foreach (var collection in await _collections.ListAsync(force: true, ct).ConfigureAwait(false))
                {
                    var points = await _collections.RetrieveAsync(collection, id, ct).ConfigureAwait(false);
                    if (points.Any(p => QdrantCachePayload.Text(p.Payload, QdrantCachePayload.KeyField) == key))
                    {
                        await _collections.IgnoreMissingAsync(collection, () => _client.DeleteAsync(collection, id, ct)).ConfigureAwait(false);
                        removed = true;
                    }
                }

                return removed;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Deletes, in every collection of the store, the points whose expiry (to the millisecond) is at or before <paramref name="now"/>.</remarks>
    public async ValueTask<int> RemoveExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var filter = QdrantCachePayload.ExpiredFilter(now);
        var removed = await _outage.RunAsync(
            "cleanup",
            async ct =>
            {
                long total = 0;
                foreach (var collection in await _collections.ListAsync(force: true, ct).ConfigureAwait(false))
                {
                    var expired = await _collections.IgnoreMissingAsync(collection, () => _client.CountAsync(collection, filter, ct)).ConfigureAwait(false);
                    if (expired > 0)
                    {
                        await _collections.IgnoreMissingAsync(collection, () => _client.DeleteAsync(collection, filter, ct)).ConfigureAwait(false);
                        total += (long)expired;
                    }
                }

                return (int)Math.Min(total, int.MaxValue);
            },
            cancellationToken).ConfigureAwait(false);
        QdrantCacheLog.ExpiredRemoved(_logger, removed);
        return removed;
    }

    /// <inheritdoc />
    public async ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await _outage.RunAsync(
            "count",
            async ct =>
            {
                long total = 0;
                foreach (var collection in await _collections.ListAsync(force: true, ct).ConfigureAwait(false))
                {
                    total += (long)await _collections.IgnoreMissingAsync(collection, () => _client.CountAsync(collection, null, ct)).ConfigureAwait(false);
                }

                return total;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes sure the collection of <paramref name="ns"/> exists with vectors of <paramref name="dimensions"/> and cosine
    /// distance, creating it and its payload indexes if needed; call it at startup to find a mismatch before the first request.
    /// </summary>
    /// <param name="ns">The cache namespace.</param>
    /// <param name="dimensions">The vector size of the embedding model used with it.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the collection is ready.</returns>
    /// <exception cref="QdrantCollectionMismatchException">The collection exists with another vector size or distance.</exception>
    /// <exception cref="QdrantCacheUnavailableException">Qdrant cannot be reached.</exception>
    public async ValueTask EnsureCollectionAsync(string ns, int dimensions, CancellationToken cancellationToken = default)
    {
        CheckNamespace(ns);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        await _outage.RunAsync(
            "collection check",
            async ct =>
            {
                await _collections.EnsureAsync(CollectionFor(ns), dimensions, QdrantCachePayload.VectorIndexes, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    internal static PointId PointIdFor(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return new Guid(hash[..16]);
    }

    private static QdrantGrpcCacheClient CreateClient(QdrantCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        QdrantCacheOptionsValidator.ThrowIfInvalid(options);
        return new QdrantGrpcCacheClient(new Uri(options.Endpoint!, UriKind.Absolute), options.ApiKey, options.Timeout);
    }

    private string ExactCollectionFor(string ns) => _prefix + ns + ExactCollectionSuffix;

    /// <summary>Namespaces become collection names: letters, digits, '-' and '_' keep them valid and keep the exact suffix unambiguous.</summary>
    private void CheckNamespace(string ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        if (ns.Length == 0 || _prefix.Length + ns.Length + ExactCollectionSuffix.Length > 255
            || !ns.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException(
                $"The cache namespace '{ns}' cannot name a Qdrant collection: use letters, digits, '-' and '_', at most {255 - _prefix.Length - ExactCollectionSuffix.Length} characters.",
                nameof(ns));
        }
    }

    /// <summary>The points at least as similar as asked and not expired (Qdrant's own threshold and filter are not relied on), most similar first.</summary>
    private static List<SemanticCacheMatch> Matches(IReadOnlyList<ScoredPoint> points, float minSimilarity, long cutoff)
    {
        var matches = new List<SemanticCacheMatch>(points.Count);
        foreach (var point in points)
        {
            if (point.Score >= minSimilarity && QdrantCachePayload.Integer(point.Payload, QdrantCachePayload.ExpiresAtField) > cutoff)
            {
                matches.Add(new SemanticCacheMatch(QdrantCachePayload.ReadEntry(point.Payload), point.Score));
            }
        }

        matches.Sort(static (a, b) => b.Similarity.CompareTo(a.Similarity));
        return matches;
    }

    private static float[] Normalized(ReadOnlySpan<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm == 0 || float.IsNaN(norm) || float.IsInfinity(norm))
        {
            throw new ArgumentException("A cache vector must have a finite, non-zero length.");
        }

        var result = new float[vector.Length];
        TensorPrimitives.Divide(vector, norm, result);
        return result;
    }
}
