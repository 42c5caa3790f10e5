using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.Collections;
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

    private const string KeyField = "key";
    private const string NamespaceField = "namespace";
    private const string TenantField = "tenant";
    private const string PartitionField = "partition";
    private const string PromptField = "prompt";
    private const string ResponseField = "response";
    private const string CreatedTicksField = "created_ticks";
    private const string ExpiresTicksField = "expires_ticks";
    private const string ExpiresAtField = "expires_at_ms";
    private const string ProviderField = "provider";
    private const string ModelField = "model";
    private const string QualityTierField = "quality_tier";

    private static readonly (string Field, PayloadSchemaType Type, bool IsTenant)[] VectorIndexes =
    [
        (TenantField, PayloadSchemaType.Keyword, true),
        (PartitionField, PayloadSchemaType.Keyword, false),
        (ExpiresAtField, PayloadSchemaType.Integer, false),
        (QualityTierField, PayloadSchemaType.Integer, false),
    ];

    private static readonly (string Field, PayloadSchemaType Type, bool IsTenant)[] ExactIndexes =
    [
        (ExpiresAtField, PayloadSchemaType.Integer, false),
    ];

    private readonly IQdrantCacheClient _client;
    private readonly bool _ownsClient;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _endpoint;
    private readonly string _prefix;
    private readonly TimeSpan _backoff;
    private readonly TimeSpan _refreshInterval;
    private readonly bool _exactSearch;

    /// <summary>Collections this store has seen or created, with their shape; a mismatch is remembered so it fails fast.</summary>
    private readonly ConcurrentDictionary<string, QdrantCollectionShape> _shapes = new(StringComparer.Ordinal);

    /// <summary>Collections found missing, and when: not asked again before the refresh interval passes.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _absent = new(StringComparer.Ordinal);

    private readonly Lock _outageLock = new();
    private CollectionList? _listed;
    private DateTimeOffset _outageStarted;
    private DateTimeOffset _backoffUntil = DateTimeOffset.MinValue;
    private string _outageReason = string.Empty;
    private bool _unavailable;

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
    }

    /// <summary>Gets Qdrant's scheme, host and port (no credentials).</summary>
    public string Endpoint => _endpoint;

    /// <summary>Gets a value indicating whether the last contact with Qdrant failed because it was unreachable.</summary>
    public bool IsUnavailable
    {
        get
        {
            lock (_outageLock)
            {
                return _unavailable;
            }
        }
    }

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
        WritePayload(point.Payload, entry);

        await RunAsync(
            "upsert",
            async ct =>
            {
                await EnsureCollectionAsync(target, vector?.Length ?? 1, hasVector ? VectorIndexes : ExactIndexes, ct).ConfigureAwait(false);
                await _client.UpsertAsync(target, point, ct).ConfigureAwait(false);

                // One key, one entry: a version stored in the namespace's other collection is replaced too.
                if (await ExistsAsync(other, ct).ConfigureAwait(false))
                {
                    await IgnoreMissingAsync(other, () => _client.DeleteAsync(other, id, ct)).ConfigureAwait(false);
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
        var cutoff = UnixMilliseconds(now);
        return await RunAsync(
            "lookup",
            async ct =>
            {
                var collections = await ListCollectionsAsync(force: false, ct).ConfigureAwait(false);
                var found = await Task.WhenAll(collections.Select(c => RetrieveAsync(c, id, ct))).ConfigureAwait(false);
                SemanticCacheEntry? best = null;
                foreach (var points in found)
                {
                    foreach (var point in points)
                    {
                        if (Text(point.Payload, KeyField) != key || Integer(point.Payload, ExpiresAtField) <= cutoff)
                        {
                            continue;
                        }

                        // Two copies exist only when replicas raced across a namespace's two collections: the newer wins.
                        var entry = ReadEntry(point.Payload);
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
        var cutoff = UnixMilliseconds(query.Now);
        var filter = new Filter
        {
            Must =
            {
                Conditions.MatchKeyword(TenantField, EncodeTenant(query.Tenant)),
                Conditions.MatchKeyword(PartitionField, EncodePartition(query.Partition)),
                Conditions.Range(ExpiresAtField, new global::Qdrant.Client.Grpc.Range { Gt = cutoff }),
            },
        };
        if (query.MinQualityTier is int tier)
        {
            filter.Must.Add(Conditions.Range(QualityTierField, new global::Qdrant.Client.Grpc.Range { Gte = tier }));
        }

        return await RunAsync<IReadOnlyList<SemanticCacheMatch>>(
            "search",
            async ct =>
            {
                var shape = await FindCollectionAsync(collection, ct).ConfigureAwait(false);
                if (shape is null)
                {
                    return [];
                }

                CheckShape(collection, shape, vector.Length);
                IReadOnlyList<ScoredPoint> points;
                try
                {
                    points = await _client.QueryAsync(collection, vector, filter, query.MaxResults, query.MinSimilarity, _exactSearch, ct).ConfigureAwait(false);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
                {
                    Forget(collection);
                    return [];
                }

                var matches = new List<SemanticCacheMatch>(points.Count);
                foreach (var point in points)
                {
                    if (point.Score >= query.MinSimilarity && Integer(point.Payload, ExpiresAtField) > cutoff)
                    {
                        matches.Add(new SemanticCacheMatch(ReadEntry(point.Payload), point.Score));
                    }
                }

                matches.Sort(static (a, b) => b.Similarity.CompareTo(a.Similarity));
                return matches;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var id = PointIdFor(key);
        return await RunAsync(
            "remove",
            async ct =>
            {
                var removed = false;
                foreach (var collection in await ListCollectionsAsync(force: true, ct).ConfigureAwait(false))
                {
                    var points = await RetrieveAsync(collection, id, ct).ConfigureAwait(false);
                    if (points.Any(p => Text(p.Payload, KeyField) == key))
                    {
                        await IgnoreMissingAsync(collection, () => _client.DeleteAsync(collection, id, ct)).ConfigureAwait(false);
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
        var filter = new Filter { Must = { Conditions.Range(ExpiresAtField, new global::Qdrant.Client.Grpc.Range { Lte = UnixMilliseconds(now) }) } };
        var removed = await RunAsync(
            "cleanup",
            async ct =>
            {
                long total = 0;
                foreach (var collection in await ListCollectionsAsync(force: true, ct).ConfigureAwait(false))
                {
                    var expired = await IgnoreMissingAsync(collection, () => _client.CountAsync(collection, filter, ct)).ConfigureAwait(false);
                    if (expired > 0)
                    {
                        await IgnoreMissingAsync(collection, () => _client.DeleteAsync(collection, filter, ct)).ConfigureAwait(false);
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
        return await RunAsync(
            "count",
            async ct =>
            {
                long total = 0;
                foreach (var collection in await ListCollectionsAsync(force: true, ct).ConfigureAwait(false))
                {
                    total += (long)await IgnoreMissingAsync(collection, () => _client.CountAsync(collection, null, ct)).ConfigureAwait(false);
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
        await RunAsync(
            "collection check",
            async ct =>
            {
                await EnsureCollectionAsync(CollectionFor(ns), dimensions, VectorIndexes, ct).ConfigureAwait(false);
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

    /// <summary>Runs one store operation: fails at once during an outage's backoff, turns the gRPC client's errors into the store's exceptions, and tracks the outage state.</summary>
    private async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        ThrowIfBackingOff(operation);
        T result;
        try
        {
            result = await action(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"The cache {operation} was canceled.", e, cancellationToken);
        }
        catch (RpcException e) when (IsOutage(e.StatusCode))
        {
            throw Outage(operation, Reason(e), e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw Outage(operation, e.GetType().Name, e);
        }
        catch (RpcException e)
        {
            Restored();
            throw new InvalidOperationException($"Qdrant at {_endpoint} rejected the cache {operation} ({Reason(e)}).", e);
        }

        Restored();
        return result;
    }

    private static bool IsOutage(StatusCode code) => code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Unknown
        or StatusCode.Internal or StatusCode.ResourceExhausted or StatusCode.Aborted or StatusCode.Cancelled
        or StatusCode.Unauthenticated or StatusCode.PermissionDenied;

    /// <summary>The status code and, unless it is about credentials, the server's detail: never a header, so never the key.</summary>
    private static string Reason(RpcException e) => e.StatusCode switch
    {
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => $"{e.StatusCode}: check {QdrantCacheOptions.SectionName}:ApiKey",
        _ when string.IsNullOrEmpty(e.Status.Detail) => e.StatusCode.ToString(),
        _ => $"{e.StatusCode}: {e.Status.Detail}",
    };

    private void ThrowIfBackingOff(string operation)
    {
        lock (_outageLock)
        {
            if (_unavailable && _time.GetUtcNow() < _backoffUntil)
            {
                throw new QdrantCacheUnavailableException(_endpoint, operation, _outageReason, duringBackoff: true, innerException: null);
            }
        }
    }

    private QdrantCacheUnavailableException Outage(string operation, string reason, Exception error)
    {
        var now = _time.GetUtcNow();
        bool first;
        lock (_outageLock)
        {
            first = !_unavailable;
            if (first)
            {
                _outageStarted = now;
            }

            _unavailable = true;
            _outageReason = reason;
            _backoffUntil = now + _backoff;
        }

        if (first)
        {
            QdrantCacheLog.Unavailable(_logger, _endpoint, reason, _backoff.TotalSeconds);
        }
        else
        {
            QdrantCacheLog.StillUnavailable(_logger, operation, reason);
        }

        return new QdrantCacheUnavailableException(_endpoint, operation, reason, duringBackoff: false, error);
    }

    private void Restored()
    {
        double seconds;
        lock (_outageLock)
        {
            if (!_unavailable)
            {
                return;
            }

            _unavailable = false;
            seconds = (_time.GetUtcNow() - _outageStarted).TotalSeconds;
        }

        QdrantCacheLog.Restored(_logger, _endpoint, seconds);
    }

    /// <summary>The store's collections: listed from Qdrant when <paramref name="force"/>d or when the last list is older than the refresh interval, plus those created since.</summary>
    private async Task<IReadOnlyCollection<string>> ListCollectionsAsync(bool force, CancellationToken cancellationToken)
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

    private async Task<bool> ExistsAsync(string collection, CancellationToken cancellationToken) =>
        _shapes.ContainsKey(collection) || (await ListCollectionsAsync(force: false, cancellationToken).ConfigureAwait(false)).Contains(collection);

    /// <summary>The collection's shape, from memory or Qdrant; <see langword="null"/> when it does not exist (remembered for the refresh interval).</summary>
    private async Task<QdrantCollectionShape?> FindCollectionAsync(string collection, CancellationToken cancellationToken)
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

    private async Task EnsureCollectionAsync(string collection, int dimensions, (string Field, PayloadSchemaType Type, bool IsTenant)[] indexes, CancellationToken cancellationToken)
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
                catch (RpcException e) when (!IsOutage(e.StatusCode))
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

    private static void CheckShape(string collection, QdrantCollectionShape shape, int dimensions)
    {
        if (shape.Dimensions is not int actual)
        {
            throw new QdrantCollectionMismatchException(
                collection,
                dimensions,
                null,
                $"Qdrant collection '{collection}' has named vectors or none, but the cache needs one unnamed vector of {dimensions} dimensions; delete the collection or choose another cache namespace or collection prefix.");
        }

        if (collection.EndsWith(ExactCollectionSuffix, StringComparison.Ordinal))
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

    private void Forget(string collection)
    {
        _shapes.TryRemove(collection, out _);
        _absent[collection] = _time.GetUtcNow();
    }

    private async Task<IReadOnlyList<RetrievedPoint>> RetrieveAsync(string collection, PointId id, CancellationToken cancellationToken) =>
        await IgnoreMissingAsync<IReadOnlyList<RetrievedPoint>>(collection, () => _client.RetrieveAsync(collection, id, cancellationToken), []).ConfigureAwait(false);

    private Task<bool> IgnoreMissingAsync(string collection, Func<Task> action) =>
        IgnoreMissingAsync(collection, async () => { await action().ConfigureAwait(false); return true; }, false);

    private Task<ulong> IgnoreMissingAsync(string collection, Func<Task<ulong>> action) =>
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

    /// <summary>Milliseconds since the Unix epoch, rounded down: expiry is compared at this precision on both sides.</summary>
    private static long UnixMilliseconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>Keyword payloads get a one-letter prefix so the empty tenant is an ordinary, indexable keyword.</summary>
    private static string EncodeTenant(string tenant) => "t:" + tenant;

    private static string EncodePartition(string partition) => "p:" + partition;

    private static void WritePayload(MapField<string, Value> payload, SemanticCacheEntry entry)
    {
        payload[KeyField] = entry.Key;
        payload[NamespaceField] = entry.Namespace;
        payload[TenantField] = EncodeTenant(entry.Tenant);
        payload[PartitionField] = EncodePartition(entry.Partition);
        payload[ResponseField] = entry.Response;
        payload[CreatedTicksField] = entry.CreatedAt.UtcTicks;
        payload[ExpiresTicksField] = entry.ExpiresAt.UtcTicks;
        payload[ExpiresAtField] = UnixMilliseconds(entry.ExpiresAt);
        if (entry.Prompt is not null)
        {
            payload[PromptField] = entry.Prompt;
        }

        if (entry.Provider is not null)
        {
            payload[ProviderField] = entry.Provider;
        }

        if (entry.Model is not null)
        {
            payload[ModelField] = entry.Model;
        }

        if (entry.QualityTier is int tier)
        {
            payload[QualityTierField] = tier;
        }
    }

    private static SemanticCacheEntry ReadEntry(MapField<string, Value> payload) => new()
    {
        Key = Text(payload, KeyField) ?? string.Empty,
        Namespace = Text(payload, NamespaceField) ?? string.Empty,
        Tenant = Decode(Text(payload, TenantField), "t:"),
        Partition = Decode(Text(payload, PartitionField), "p:"),
        Prompt = Text(payload, PromptField),
        Response = Text(payload, ResponseField) ?? string.Empty,
        CreatedAt = new DateTimeOffset(Integer(payload, CreatedTicksField), TimeSpan.Zero),
        ExpiresAt = new DateTimeOffset(Integer(payload, ExpiresTicksField), TimeSpan.Zero),
        Provider = Text(payload, ProviderField),
        Model = Text(payload, ModelField),
        QualityTier = payload.TryGetValue(QualityTierField, out var tier) && tier.KindCase == Value.KindOneofCase.IntegerValue
            ? (int)tier.IntegerValue
            : null,
    };

    private static string Decode(string? value, string prefix) =>
        value is not null && value.StartsWith(prefix, StringComparison.Ordinal) ? value[prefix.Length..] : value ?? string.Empty;

    private static string? Text(MapField<string, Value> payload, string field) =>
        payload.TryGetValue(field, out var value) && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : null;

    private static long Integer(MapField<string, Value> payload, string field) =>
        payload.TryGetValue(field, out var value) ? value.KindCase switch
        {
            Value.KindOneofCase.IntegerValue => value.IntegerValue,
            Value.KindOneofCase.DoubleValue => (long)value.DoubleValue,
            Value.KindOneofCase.StringValue when long.TryParse(value.StringValue, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => long.MinValue,
        }
        : long.MinValue;

    private sealed record CollectionList(HashSet<string> Names, DateTimeOffset At);
}
