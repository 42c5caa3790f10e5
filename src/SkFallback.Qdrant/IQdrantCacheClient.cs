using Qdrant.Client.Grpc;

namespace SkFallback.Qdrant;

/// <summary>
/// The few Qdrant operations the cache store uses, so the store's logic can be tested against a hand-written fake. Errors
/// surface as the gRPC client's <see cref="Grpc.Core.RpcException"/>s; a missing collection as status <c>NotFound</c>.
/// </summary>
internal interface IQdrantCacheClient : IDisposable
{
    Task<IReadOnlyList<string>> ListCollectionsAsync(CancellationToken cancellationToken);

    /// <summary>The collection's vector layout and indexed fields, or <see langword="null"/> when it does not exist.</summary>
    Task<QdrantCollectionShape?> GetCollectionAsync(string collection, CancellationToken cancellationToken);

    /// <summary>Creates a collection with one unnamed vector of <paramref name="dimensions"/> and cosine distance.</summary>
    Task CreateCollectionAsync(string collection, int dimensions, CancellationToken cancellationToken);

    Task CreatePayloadIndexAsync(string collection, string field, PayloadSchemaType type, PayloadIndexParams? indexParams, CancellationToken cancellationToken);

    Task UpsertAsync(string collection, PointStruct point, CancellationToken cancellationToken);

    Task<IReadOnlyList<RetrievedPoint>> RetrieveAsync(string collection, PointId id, CancellationToken cancellationToken);

    /// <summary>The nearest points to <paramref name="vector"/> among those matching <paramref name="filter"/> with at least <paramref name="scoreThreshold"/>, best first.</summary>
    Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, float[] vector, Filter filter, int limit, float scoreThreshold, bool exact, CancellationToken cancellationToken);

    Task DeleteAsync(string collection, PointId id, CancellationToken cancellationToken);

    Task DeleteAsync(string collection, Filter filter, CancellationToken cancellationToken);

    Task<ulong> CountAsync(string collection, Filter? filter, CancellationToken cancellationToken);
}
