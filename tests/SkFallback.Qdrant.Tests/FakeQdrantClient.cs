using Google.Protobuf.Collections;
using Grpc.Core;
using Qdrant.Client.Grpc;

namespace SkFallback.Qdrant.Tests;

/// <summary>
/// A hand-written, in-memory stand-in for the part of Qdrant the store uses: collections with one unnamed vector,
/// points with payloads, the filter conditions the store sends (keyword match, numeric range, all must hold), cosine
/// scoring, and Qdrant's errors as <see cref="RpcException"/>s (NotFound for a missing collection, InvalidArgument for a
/// vector of the wrong size). <see cref="FailWith"/> makes every call fail as an unreachable server does.
/// </summary>
internal sealed class FakeQdrantClient : IQdrantCacheClient
{
    private readonly Lock _lock = new();

    public Dictionary<string, FakeCollection> Collections { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, every call fails with this status before touching anything.</summary>
    public StatusCode? FailWith { get; set; }

    public int Calls { get; private set; }

    public List<string> CallLog { get; } = [];

    public bool Disposed { get; private set; }

    /// <summary>Runs before a collection is created, as another replica racing to create it would.</summary>
    public Action<string>? BeforeCreate { get; set; }

    private readonly List<Waiter> _waiters = [];

    /// <summary>Completes when an operation (<c>delete-filter</c>, <c>count</c>, ...) has been called <paramref name="times"/> more times.</summary>
    public Task WhenCalled(string operation, int times = 1)
    {
        lock (_lock)
        {
            var waiter = new Waiter(operation, times);
            _waiters.Add(waiter);
            return waiter.Signal.Task;
        }
    }

    /// <summary>Adds a collection as if someone else had created it.</summary>
    public FakeCollection AddCollection(string name, int? dimensions, Distance distance = Distance.Cosine)
    {
        var collection = new FakeCollection(dimensions, distance);
        Collections[name] = collection;
        return collection;
    }

    public Task<IReadOnlyList<string>> ListCollectionsAsync(CancellationToken cancellationToken) =>
        Call("list", null, () => (IReadOnlyList<string>)[.. Collections.Keys]);

    public Task<QdrantCollectionShape?> GetCollectionAsync(string collection, CancellationToken cancellationToken) =>
        Call("info", null, () => Collections.TryGetValue(collection, out var c)
            ? new QdrantCollectionShape(c.Dimensions, c.Distance, new HashSet<string>(c.Indexes.Keys, StringComparer.Ordinal))
            : null);

    public Task CreateCollectionAsync(string collection, int dimensions, CancellationToken cancellationToken) =>
        Call("create", null, () =>
        {
            BeforeCreate?.Invoke(collection);
            if (Collections.ContainsKey(collection))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Collection `{collection}` already exists!"));
            }

            return Collections[collection] = new FakeCollection(dimensions, Distance.Cosine);
        });

    public Task CreatePayloadIndexAsync(string collection, string field, PayloadSchemaType type, PayloadIndexParams? indexParams, CancellationToken cancellationToken) =>
        Call("index", collection, () => Get(collection).Indexes[field] = (type, indexParams?.KeywordIndexParams?.IsTenant ?? false));

    public Task UpsertAsync(string collection, PointStruct point, CancellationToken cancellationToken) =>
        Call("upsert", collection, () =>
        {
            var c = Get(collection);
            float[]? vector = null;
            if (point.Vectors.VectorsOptionsCase == Vectors.VectorsOptionsOneofCase.Vector)
            {
                vector = [.. point.Vectors.Vector.Dense.Data];
                if (vector.Length != c.Dimensions)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {c.Dimensions}, got {vector.Length}"));
                }
            }
            else if (point.Vectors.VectorsOptionsCase != Vectors.VectorsOptionsOneofCase.Vectors_ || point.Vectors.Vectors_.Vectors.Count != 0)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "Expected some vectors"));
            }

            var payload = new MapField<string, Value>();
            payload.Add(point.Payload);
            return c.Points[point.Id.Uuid] = new FakePoint(vector, payload);
        });

    public Task<IReadOnlyList<RetrievedPoint>> RetrieveAsync(string collection, PointId id, CancellationToken cancellationToken) =>
        Call("retrieve", collection, () =>
        {
            var c = Get(collection);
            IReadOnlyList<RetrievedPoint> result = c.Points.TryGetValue(id.Uuid, out var p)
                ? [new RetrievedPoint { Id = id, Payload = { p.Payload } }]
                : [];
            return result;
        });

    public Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, float[] vector, Filter filter, int limit, float scoreThreshold, bool exact, CancellationToken cancellationToken) =>
        Call("query", collection, () =>
        {
            var c = Get(collection);
            if (vector.Length != c.Dimensions)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {c.Dimensions}, got {vector.Length}"));
            }

            IReadOnlyList<ScoredPoint> result = [.. c.Points
                .Where(p => p.Value.Vector is not null && Matches(filter, p.Value.Payload))
                .Select(p => new ScoredPoint { Id = new PointId { Uuid = p.Key }, Score = Cosine(p.Value.Vector!, vector), Payload = { p.Value.Payload } })
                .Where(p => p.Score >= scoreThreshold)
                .OrderByDescending(p => p.Score)
                .Take(limit)];
            return result;
        });

    public Task DeleteAsync(string collection, PointId id, CancellationToken cancellationToken) =>
        Call("delete", collection, () => Get(collection).Points.Remove(id.Uuid));

    public Task DeleteAsync(string collection, Filter filter, CancellationToken cancellationToken) =>
        Call("delete-filter", collection, () =>
        {
            var c = Get(collection);
            foreach (var key in c.Points.Where(p => Matches(filter, p.Value.Payload)).Select(p => p.Key).ToList())
            {
                c.Points.Remove(key);
            }

            return true;
        });

    public Task<ulong> CountAsync(string collection, Filter? filter, CancellationToken cancellationToken) =>
        Call("count", collection, () => (ulong)Get(collection).Points.Count(p => filter is null || Matches(filter, p.Value.Payload)));

    public void Dispose() => Disposed = true;

    private static bool Matches(Filter filter, MapField<string, Value> payload)
    {
        if (filter.Should.Count > 0 || filter.MustNot.Count > 0)
        {
            throw new NotSupportedException("The fake evaluates 'must' filters only.");
        }

        foreach (var condition in filter.Must)
        {
            var field = condition.Field ?? throw new NotSupportedException("The fake evaluates field conditions only.");
            if (!payload.TryGetValue(field.Key, out var value))
            {
                return false;
            }

            if (field.Match is { HasKeyword: true } match)
            {
                if (value.KindCase != Value.KindOneofCase.StringValue || value.StringValue != match.Keyword)
                {
                    return false;
                }
            }
            else if (field.Range is { } range)
            {
                double number = value.KindCase switch
                {
                    Value.KindOneofCase.IntegerValue => value.IntegerValue,
                    Value.KindOneofCase.DoubleValue => value.DoubleValue,
                    _ => double.NaN,
                };
                if (double.IsNaN(number) || (range.HasGt && !(number > range.Gt)) || (range.HasGte && !(number >= range.Gte))
                    || (range.HasLt && !(number < range.Lt)) || (range.HasLte && !(number <= range.Lte)))
                {
                    return false;
                }
            }
            else
            {
                throw new NotSupportedException("The fake evaluates keyword matches and ranges only.");
            }
        }

        return true;
    }

    private static float Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return (float)(dot / Math.Sqrt(na * nb));
    }

    private FakeCollection Get(string collection) =>
        Collections.TryGetValue(collection, out var c)
            ? c
            : throw new RpcException(new Status(StatusCode.NotFound, $"Not found: Collection `{collection}` doesn't exist!"));

    private Task<T> Call<T>(string operation, string? collection, Func<T> action)
    {
        lock (_lock)
        {
            Calls++;
            CallLog.Add(collection is null ? operation : operation + " " + collection);
            try
            {
                if (FailWith is { } status)
                {
                    return Task.FromException<T>(new RpcException(new Status(status, "Error connecting to subchannel.")));
                }

                return Task.FromResult(action());
            }
            catch (RpcException e)
            {
                return Task.FromException<T>(e);
            }
            finally
            {
                foreach (var waiter in _waiters.Where(w => w.Operation == operation).ToList())
                {
                    if (--waiter.Remaining == 0)
                    {
                        _waiters.Remove(waiter);
                        waiter.Signal.TrySetResult();
                    }
                }
            }
        }
    }

    internal sealed class FakeCollection(int? dimensions, Distance distance)
    {
        public int? Dimensions { get; } = dimensions;

        public Distance Distance { get; } = distance;

        public Dictionary<string, (PayloadSchemaType Type, bool IsTenant)> Indexes { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, FakePoint> Points { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Waiter(string operation, int times)
    {
        public string Operation { get; } = operation;

        public int Remaining { get; set; } = times;

        public TaskCompletionSource Signal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    internal sealed record FakePoint(float[]? Vector, MapField<string, Value> Payload);
}
