using Qdrant.Client.Grpc;
using SkFallback.Caching;
using SkFallback.Tests.Caching;

namespace SkFallback.Qdrant.Tests;

/// <summary>How the store creates, checks and uses collections, against the in-memory fake of Qdrant.</summary>
public sealed class QdrantCollectionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeQdrantClient _qdrant = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private QdrantSemanticCacheStore CreateStore() =>
        new(new QdrantCacheOptions { Endpoint = "http://127.0.0.1:6334" }, _qdrant, ownsClient: false, logger: null, timeProvider: null);

    private static SemanticCacheEntry Entry(string key, float[]? vector, string ns = "minilm") => new()
    {
        Key = key,
        Namespace = ns,
        Tenant = string.Empty,
        Partition = "p1",
        Prompt = "prompt " + key,
        Vector = vector ?? ReadOnlyMemory<float>.Empty,
        Response = "{}",
        CreatedAt = T0,
        ExpiresAt = T0.AddHours(1),
    };

    private static SemanticCacheQuery Query(float[] vector, string ns = "minilm") => new()
    {
        Namespace = ns,
        Tenant = string.Empty,
        Partition = "p1",
        Vector = vector,
        MinSimilarity = 0.9f,
        Now = T0,
    };

    [Fact]
    public async Task Upsert_NewNamespace_CreatesCosineCollectionOfTheVectorSizeWithPayloadIndexes()
    {
        using var store = CreateStore();

        await store.UpsertAsync(Entry("a", TestVectors.Random(1, 384)), Token);

        var collection = _qdrant.Collections["skfallback-cache-minilm"];
        Assert.Equal(384, collection.Dimensions);
        Assert.Equal(Distance.Cosine, collection.Distance);
        Assert.Equal((PayloadSchemaType.Keyword, true), collection.Indexes["tenant"]);
        Assert.Equal((PayloadSchemaType.Keyword, false), collection.Indexes["partition"]);
        Assert.Equal(PayloadSchemaType.Integer, collection.Indexes["expires_at_ms"].Type);
        Assert.Equal(PayloadSchemaType.Integer, collection.Indexes["quality_tier"].Type);
        Assert.Single(collection.Points);
        Assert.False(_qdrant.Collections.ContainsKey("skfallback-cache-minilm.exact"));
    }

    [Fact]
    public async Task Upsert_SecondEntry_DoesNotAskForTheCollectionAgain()
    {
        using var store = CreateStore();
        await store.UpsertAsync(Entry("a", TestVectors.Random(1, 16)), Token);
        _qdrant.CallLog.Clear();

        await store.UpsertAsync(Entry("b", TestVectors.Random(2, 16)), Token);

        Assert.Equal(["upsert skfallback-cache-minilm"], _qdrant.CallLog.Where(c => !c.StartsWith("list", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Upsert_EntryWithoutVector_GoesToTheNamespacesExactCollection()
    {
        using var store = CreateStore();

        await store.UpsertAsync(Entry("exact", null), Token);

        Assert.False(_qdrant.Collections.ContainsKey("skfallback-cache-minilm"));
        var exact = _qdrant.Collections["skfallback-cache-minilm.exact"];
        Assert.Single(exact.Points);
        Assert.Null(exact.Points.Values.Single().Vector);
        Assert.Equal("{}", (await store.GetAsync("exact", T0, Token))!.Response);
    }

    [Fact]
    public async Task Upsert_ExistingCollectionWithOtherVectorSize_ThrowsNamingTheCollectionAndBothSizes()
    {
        _qdrant.AddCollection("skfallback-cache-minilm", 768);
        using var store = CreateStore();

        var error = await Assert.ThrowsAsync<QdrantCollectionMismatchException>(async () => await store.UpsertAsync(Entry("a", TestVectors.Random(1, 384)), Token));

        Assert.Equal(
            "Qdrant collection 'skfallback-cache-minilm' holds vectors of 768 dimensions, but the cache's embeddings have 384; use one cache namespace per embedding model, or delete the collection so it is created again.",
            error.Message);
        Assert.Equal("skfallback-cache-minilm", error.CollectionName);
        Assert.Equal(384, error.ExpectedDimensions);
        Assert.Equal(768, error.ActualDimensions);
        Assert.Empty(_qdrant.Collections["skfallback-cache-minilm"].Points);

        // Remembered: the next call fails the same way without asking Qdrant about the collection again.
        var calls = _qdrant.Calls;
        var again = await Assert.ThrowsAsync<QdrantCollectionMismatchException>(async () => await store.SearchAsync(Query(TestVectors.Random(2, 384)), Token));
        Assert.Equal(error.Message, again.Message);
        Assert.Equal(calls, _qdrant.Calls);
    }

    [Fact]
    public async Task Search_ExistingCollectionWithOtherVectorSize_ThrowsNamingIt()
    {
        _qdrant.AddCollection("skfallback-cache-minilm", 1536);
        using var store = CreateStore();

        var error = await Assert.ThrowsAsync<QdrantCollectionMismatchException>(async () => await store.SearchAsync(Query(TestVectors.Random(2, 384)), Token));

        Assert.Contains("'skfallback-cache-minilm' holds vectors of 1536 dimensions", error.Message);
        Assert.Contains("the cache's embeddings have 384", error.Message);
    }

    [Fact]
    public async Task Upsert_ExistingCollectionWithDotDistance_ThrowsNamingTheDistance()
    {
        _qdrant.AddCollection("skfallback-cache-minilm", 16, Distance.Dot);
        using var store = CreateStore();

        var error = await Assert.ThrowsAsync<QdrantCollectionMismatchException>(async () => await store.UpsertAsync(Entry("a", TestVectors.Random(1)), Token));

        Assert.StartsWith("Qdrant collection 'skfallback-cache-minilm' uses Dot distance, but the cache needs Cosine", error.Message);
    }

    [Fact]
    public async Task Upsert_ExistingCollectionWithNamedVectors_ThrowsNamingIt()
    {
        _qdrant.AddCollection("skfallback-cache-minilm", null);
        using var store = CreateStore();

        var error = await Assert.ThrowsAsync<QdrantCollectionMismatchException>(async () => await store.UpsertAsync(Entry("a", TestVectors.Random(1)), Token));

        Assert.StartsWith("Qdrant collection 'skfallback-cache-minilm' has named vectors or none, but the cache needs one unnamed vector of 16 dimensions", error.Message);
        Assert.Null(error.ActualDimensions);
    }

    [Fact]
    public async Task EnsureCollection_AtStartup_CreatesOrRejectsBeforeTheFirstRequest()
    {
        using var store = CreateStore();
        await store.EnsureCollectionAsync("minilm", 384, Token);
        Assert.Equal(384, _qdrant.Collections["skfallback-cache-minilm"].Dimensions);

        using var other = CreateStore();
        var error = await Assert.ThrowsAsync<QdrantCollectionMismatchException>(async () => await other.EnsureCollectionAsync("minilm", 1024, Token));
        Assert.Contains("holds vectors of 384 dimensions, but the cache's embeddings have 1024", error.Message);
    }

    [Fact]
    public async Task Upsert_CollectionCreatedByAnotherReplicaMeanwhile_UsesIt()
    {
        using var store = CreateStore();
        _qdrant.BeforeCreate = name => _qdrant.AddCollection(name, 16);

        await store.UpsertAsync(Entry("a", TestVectors.Random(1)), Token);

        Assert.Single(_qdrant.Collections["skfallback-cache-minilm"].Points);
        Assert.Equal(4, _qdrant.Collections["skfallback-cache-minilm"].Indexes.Count);
    }

    [Fact]
    public async Task Get_NamespaceCreatedByAnotherReplica_IsFoundAfterTheRefreshInterval()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
        using var reader = new QdrantSemanticCacheStore(new QdrantCacheOptions { Endpoint = "http://127.0.0.1:6334" }, _qdrant, false, null, time);
        using var writer = CreateStore();
        Assert.Null(await reader.GetAsync("a", T0, Token));

        await writer.UpsertAsync(Entry("a", TestVectors.Random(1), ns: "other"), Token);
        Assert.Null(await reader.GetAsync("a", T0, Token)); // the reader's list of collections is still fresh
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.NotNull(await reader.GetAsync("a", T0, Token));
    }

    [Fact]
    public async Task Upsert_SameKeyWithAndWithoutVector_KeepsOneEntry()
    {
        using var store = CreateStore();
        await store.UpsertAsync(Entry("a", null) with { Response = "exact" }, Token);
        await store.UpsertAsync(Entry("a", TestVectors.Random(1)) with { Response = "semantic" }, Token);

        Assert.Empty(_qdrant.Collections["skfallback-cache-minilm.exact"].Points);
        Assert.Equal("semantic", (await store.GetAsync("a", T0, Token))!.Response);
        Assert.Equal(1, await store.CountAsync(Token));

        await store.UpsertAsync(Entry("a", null) with { Response = "exact again" }, Token);
        Assert.Empty(_qdrant.Collections["skfallback-cache-minilm"].Points);
        Assert.Equal("exact again", (await store.GetAsync("a", T0, Token))!.Response);
    }

    [Fact]
    public async Task Entries_RoundTrip_AllFieldsButTheVector()
    {
        using var store = CreateStore();
        var entry = Entry("a", TestVectors.Random(1)) with
        {
            Tenant = "acme",
            Provider = "claude",
            Model = "claude-3-5-haiku-20241022",
            QualityTier = 3,
            CreatedAt = T0.AddTicks(1234),
            ExpiresAt = new DateTimeOffset(2026, 11, 1, 16, 0, 0, TimeSpan.FromHours(2)).AddTicks(5678),
        };
        await store.UpsertAsync(entry, Token);

        var found = await store.GetAsync("a", T0, Token);

        Assert.Equal(entry with { Vector = ReadOnlyMemory<float>.Empty }, found);
    }

    [Fact]
    public async Task Search_CollectionDeletedBehindTheStoresBack_FindsNothing()
    {
        using var store = CreateStore();
        var v = TestVectors.Random(1);
        await store.UpsertAsync(Entry("a", v), Token);
        _qdrant.Collections.Remove("skfallback-cache-minilm");

        Assert.Empty(await store.SearchAsync(Query(v), Token));
        Assert.Null(await store.GetAsync("a", T0, Token));
        Assert.Equal(0, await store.CountAsync(Token));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a/b")]
    [InlineData("dots.are.reserved")]
    public async Task Upsert_NamespaceThatCannotNameACollection_ThrowsNamingIt(string ns)
    {
        using var store = CreateStore();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpsertAsync(Entry("a", TestVectors.Random(1), ns), Token));

        Assert.Contains($"The cache namespace '{ns}' cannot name a Qdrant collection", error.Message);
        Assert.Equal(0, _qdrant.Calls);
    }

    [Fact]
    public async Task Upsert_ZeroVector_ThrowsWithoutContactingQdrant()
    {
        using var store = CreateStore();

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpsertAsync(Entry("a", new float[16]), Token));

        Assert.Equal(0, _qdrant.Calls);
    }

    [Fact]
    public void PointIdFor_SameKey_SameUuid()
    {
        Assert.Equal(QdrantSemanticCacheStore.PointIdFor("k1"), QdrantSemanticCacheStore.PointIdFor("k1"));
        Assert.NotEqual(QdrantSemanticCacheStore.PointIdFor("k1"), QdrantSemanticCacheStore.PointIdFor("k2"));
        Assert.True(Guid.TryParse(QdrantSemanticCacheStore.PointIdFor("k1").Uuid, out _));
    }
}
