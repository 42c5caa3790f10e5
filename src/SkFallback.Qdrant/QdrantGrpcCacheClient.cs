using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace SkFallback.Qdrant;

/// <summary><see cref="IQdrantCacheClient"/> over the official gRPC client; every call carries the configured deadline.</summary>
internal sealed class QdrantGrpcCacheClient : IQdrantCacheClient
{
    private readonly QdrantClient _client;

    public QdrantGrpcCacheClient(Uri endpoint, string? apiKey, TimeSpan timeout)
    {
        // No logger factory: the gRPC client would log each failure with its exception; the store logs an outage once.
        _client = new QdrantClient(endpoint, apiKey, timeout);
    }

    public Task<IReadOnlyList<string>> ListCollectionsAsync(CancellationToken cancellationToken) =>
        _client.ListCollectionsAsync(cancellationToken);

    public async Task<QdrantCollectionShape?> GetCollectionAsync(string collection, CancellationToken cancellationToken)
    {
        CollectionInfo info;
        try
        {
            info = await _client.GetCollectionInfoAsync(collection, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }

        var vectors = info.Config?.Params?.VectorsConfig;
        var single = vectors?.ConfigCase == VectorsConfig.ConfigOneofCase.Params ? vectors.Params : null;
        return new QdrantCollectionShape(
            single is null ? null : checked((int)single.Size),
            single?.Distance ?? Distance.UnknownDistance,
            new HashSet<string>(info.PayloadSchema.Keys, StringComparer.Ordinal));
    }

    public Task CreateCollectionAsync(string collection, int dimensions, CancellationToken cancellationToken) =>
        _client.CreateCollectionAsync(collection, new VectorParams { Size = (ulong)dimensions, Distance = Distance.Cosine }, cancellationToken: cancellationToken);

    public Task CreatePayloadIndexAsync(string collection, string field, PayloadSchemaType type, PayloadIndexParams? indexParams, CancellationToken cancellationToken) =>
        _client.CreatePayloadIndexAsync(collection, field, type, indexParams, wait: true, cancellationToken: cancellationToken);

    public Task UpsertAsync(string collection, PointStruct point, CancellationToken cancellationToken) =>
        _client.UpsertAsync(collection, [point], wait: true, cancellationToken: cancellationToken);

    public Task<IReadOnlyList<RetrievedPoint>> RetrieveAsync(string collection, PointId id, CancellationToken cancellationToken) =>
        _client.RetrieveAsync(collection, [id], withPayload: true, withVectors: false, cancellationToken: cancellationToken);

    public Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, float[] vector, Filter filter, int limit, float scoreThreshold, bool exact, CancellationToken cancellationToken) =>
        _client.QueryAsync(
            collection,
            query: vector,
            filter: filter,
            scoreThreshold: scoreThreshold,
            searchParams: exact ? new SearchParams { Exact = true } : null,
            limit: (ulong)limit,
            payloadSelector: true,
            cancellationToken: cancellationToken);

    public Task DeleteAsync(string collection, PointId id, CancellationToken cancellationToken) =>
        _client.DeleteAsync(collection, id, wait: true, cancellationToken: cancellationToken);

    public Task DeleteAsync(string collection, Filter filter, CancellationToken cancellationToken) =>
        _client.DeleteAsync(collection, filter, wait: true, cancellationToken: cancellationToken);

    public Task<ulong> CountAsync(string collection, Filter? filter, CancellationToken cancellationToken) =>
        _client.CountAsync(collection, filter, exact: true, cancellationToken: cancellationToken);

    public void Dispose() => _client.Dispose();
}
