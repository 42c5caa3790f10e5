using Qdrant.Client.Grpc;
using SkFallback.Caching;
using SkFallback.Tests.Caching;

namespace SkFallback.Qdrant.Tests;

/// <summary>What only a real Qdrant can show: the collections the store creates, a foreign collection of the wrong size, replicas sharing entries.</summary>
public sealed class QdrantServerTests(QdrantTestServer server) : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _prefix = "sktest-" + Guid.NewGuid().ToString("N")[..10] + "-";
    private readonly List<QdrantSemanticCacheStore> _stores = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private QdrantSemanticCacheStore CreateStore()
    {
        Assert.SkipUnless(server.Available, server.SkipReason);
        var store = new QdrantSemanticCacheStore(new QdrantCacheOptions
        {
            Endpoint = server.Endpoint,
            ApiKey = server.ApiKey,
            CollectionPrefix = _prefix,
            Timeout = TimeSpan.FromSeconds(30),
        });
        _stores.Add(store);
        return store;
    }

    private static SemanticCacheEntry Entry(string key, float[] vector) => new()
    {
        Key = key,
        Namespace = "ns",
        Tenant = "acme",
        Partition = "p1",
        Prompt = "prompt",
        Vector = vector,
        Response = "{\"answer\":42}",
        CreatedAt = T0,
        ExpiresAt = T0.AddHours(1),
    };

    [Fact]
    public async Task Upsert_NewNamespace_CreatesCosineCollectionWithPayloadIndexes()
    {
        var store = CreateStore();

        await store.UpsertAsync(Entry("a", TestVectors.Random(1, 384)), Token);

        using var raw = server.CreateRawClient();
        var info = await raw.GetCollectionInfoAsync(_prefix + "ns", Token);
        Assert.Equal(384UL, info.Config.Params.VectorsConfig.Params.Size);
        Assert.Equal(Distance.Cosine, info.Config.Params.VectorsConfig.Params.Distance);
        Assert.Equal(PayloadSchemaType.Keyword, info.PayloadSchema["tenant"].DataType);
        Assert.True(info.PayloadSchema["tenant"].Params.KeywordIndexParams.IsTenant);
        Assert.Equal(PayloadSchemaType.Keyword, info.PayloadSchema["partition"].DataType);
        Assert.Equal(PayloadSchemaType.Integer, info.PayloadSchema["expires_at_ms"].DataType);
        Assert.Equal(PayloadSchemaType.Integer, info.PayloadSchema["quality_tier"].DataType);
    }

    [Fact]
    public async Task Upsert_ExistingCollectionWithOtherVectorSize_ThrowsNamingTheCollectionAndBothSizes()
    {
        var store = CreateStore();
        using var raw = server.CreateRawClient();
        await raw.CreateCollectionAsync(_prefix + "ns", new VectorParams { Size = 8, Distance = Distance.Cosine }, cancellationToken: Token);

        var error = await Assert.ThrowsAsync<QdrantCollectionMismatchException>(async () => await store.UpsertAsync(Entry("a", TestVectors.Random(1, 16)), Token));

        Assert.StartsWith($"Qdrant collection '{_prefix}ns' holds vectors of 8 dimensions, but the cache's embeddings have 16", error.Message);
    }

    [Fact]
    public async Task TwoReplicas_SameServer_ShareEntries()
    {
        var writer = CreateStore();
        var reader = CreateStore();
        var v = TestVectors.Random(3, 64);

        await writer.UpsertAsync(Entry("shared", v), Token);

        Assert.Equal("{\"answer\":42}", (await reader.GetAsync("shared", T0, Token))?.Response);
        var match = Assert.Single(await reader.SearchAsync(
            new SemanticCacheQuery { Namespace = "ns", Tenant = "acme", Partition = "p1", Vector = v, MinSimilarity = 0.99f, Now = T0 }, Token));
        Assert.Equal("shared", match.Entry.Key);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        if (_stores.Count > 0)
        {
            await ServerCollections.DeleteWithPrefixAsync(server, _prefix);
        }
    }
}
