using SkFallback.Caching;

namespace SkFallback.Tests.Caching;

/// <summary>
/// What every <see cref="ISemanticCacheStore"/> must do. A store's test class derives from this one and says how to make
/// a store; each test works in a namespace of its own, so a shared server needs no cleanup between tests.
/// </summary>
public abstract class SemanticCacheStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _namespace = "contract-" + Guid.NewGuid().ToString("N")[..12];

    protected abstract ValueTask<ISemanticCacheStore> CreateStoreAsync(int maxEntries = 10_000);

    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    protected SemanticCacheEntry Entry(string key, float[]? vector, string tenant = "", string partition = "p1", TimeSpan? ttl = null, int? tier = null, string? response = null) => new()
    {
        Key = key + "-" + _namespace,
        Namespace = _namespace,
        Tenant = tenant,
        Partition = partition,
        Prompt = "prompt " + key,
        Vector = vector ?? ReadOnlyMemory<float>.Empty,
        Response = response ?? "{\"answer\":\"" + key + "\"}",
        CreatedAt = T0,
        ExpiresAt = T0 + (ttl ?? TimeSpan.FromHours(1)),
        Provider = "openai",
        Model = "gpt-4o-mini-2024-07-18",
        QualityTier = tier,
    };

    protected string KeyOf(string key) => key + "-" + _namespace;

    protected SemanticCacheQuery Query(float[] vector, float min = 0.9f, string tenant = "", string partition = "p1", DateTimeOffset? now = null, int max = 4, int? tier = null) => new()
    {
        Namespace = _namespace,
        Tenant = tenant,
        Partition = partition,
        Vector = vector,
        MinSimilarity = min,
        Now = now ?? T0.AddMinutes(1),
        MaxResults = max,
        MinQualityTier = tier,
    };

    [Fact]
    public async Task Get_AfterUpsert_ReturnsTheEntry()
    {
        var store = await CreateStoreAsync();
        var entry = Entry("a", TestVectors.Random(1));
        await store.UpsertAsync(entry, Token);

        var found = await store.GetAsync(KeyOf("a"), T0.AddMinutes(1), Token);

        Assert.NotNull(found);
        Assert.Equal(entry.Response, found.Response);
        Assert.Equal(entry.Prompt, found.Prompt);
        Assert.Equal("openai", found.Provider);
        Assert.Equal(entry.ExpiresAt, found.ExpiresAt);
        Assert.Null(await store.GetAsync(KeyOf("missing"), T0.AddMinutes(1), Token));
    }

    [Fact]
    public async Task Get_AtOrAfterExpiry_ReturnsNothing()
    {
        var store = await CreateStoreAsync();
        await store.UpsertAsync(Entry("a", TestVectors.Random(1), ttl: TimeSpan.FromMinutes(10)), Token);

        Assert.NotNull(await store.GetAsync(KeyOf("a"), T0.AddMinutes(9), Token));
        Assert.Null(await store.GetAsync(KeyOf("a"), T0.AddMinutes(10), Token));
    }

    [Fact]
    public async Task Get_EntryWithoutVector_IsFoundByKeyButNeverBySearch()
    {
        var store = await CreateStoreAsync();
        await store.UpsertAsync(Entry("exact-only", null), Token);
        await store.UpsertAsync(Entry("other", TestVectors.Random(2)), Token);

        Assert.NotNull(await store.GetAsync(KeyOf("exact-only"), T0, Token));
        var matches = await store.SearchAsync(Query(TestVectors.Random(2), min: -1f), Token);
        Assert.Equal([KeyOf("other")], matches.Select(m => m.Entry.Key));
    }

    [Fact]
    public async Task Upsert_SameKey_ReplacesTheEntry()
    {
        var store = await CreateStoreAsync();
        var v1 = TestVectors.Random(1);
        var v2 = TestVectors.Random(2);
        await store.UpsertAsync(Entry("a", v1, response: "first"), Token);
        await store.UpsertAsync(Entry("a", v2, response: "second"), Token);

        Assert.Equal("second", (await store.GetAsync(KeyOf("a"), T0, Token))!.Response);
        Assert.Empty(await store.SearchAsync(Query(v1, min: 0.99f), Token));
        var match = Assert.Single(await store.SearchAsync(Query(v2, min: 0.99f), Token));
        Assert.Equal("second", match.Entry.Response);
    }

    [Fact]
    public async Task Search_ReturnsMatchesAboveThresholdMostSimilarFirst()
    {
        var store = await CreateStoreAsync();
        var q = TestVectors.Random(10);
        await store.UpsertAsync(Entry("c80", TestVectors.AtCosine(q, 0.80, 1)), Token);
        await store.UpsertAsync(Entry("c97", TestVectors.AtCosine(q, 0.97, 2)), Token);
        await store.UpsertAsync(Entry("c92", TestVectors.AtCosine(q, 0.92, 3)), Token);
        await store.UpsertAsync(Entry("far", TestVectors.AtCosine(q, 0.10, 4)), Token);

        var matches = await store.SearchAsync(Query(q, min: 0.9f), Token);

        Assert.Equal([KeyOf("c97"), KeyOf("c92")], matches.Select(m => m.Entry.Key));
        Assert.Equal(0.97, matches[0].Similarity, 3);
        Assert.Equal(0.92, matches[1].Similarity, 3);
        var one = await store.SearchAsync(Query(q, min: 0.5f, max: 1), Token);
        Assert.Equal([KeyOf("c97")], one.Select(m => m.Entry.Key));
    }

    [Fact]
    public async Task Search_VectorNeedNotBeNormalised()
    {
        var store = await CreateStoreAsync();
        var v = TestVectors.Random(3);
        await store.UpsertAsync(Entry("a", v.Select(x => x * 7f).ToArray()), Token);

        var match = Assert.Single(await store.SearchAsync(Query(v.Select(x => x * 0.25f).ToArray(), min: 0.999f), Token));
        Assert.Equal(1.0, match.Similarity, 3);
    }

    [Fact]
    public async Task Search_OtherTenant_FindsNothing()
    {
        var store = await CreateStoreAsync();
        var v = TestVectors.Random(4);
        await store.UpsertAsync(Entry("a", v, tenant: "acme"), Token);

        Assert.Empty(await store.SearchAsync(Query(v, tenant: "globex"), Token));
        Assert.Empty(await store.SearchAsync(Query(v, tenant: string.Empty), Token));
        Assert.Single(await store.SearchAsync(Query(v, tenant: "acme"), Token));
    }

    [Fact]
    public async Task Search_OtherPartition_FindsNothing()
    {
        var store = await CreateStoreAsync();
        var v = TestVectors.Random(5);
        await store.UpsertAsync(Entry("a", v, partition: "system-a"), Token);

        Assert.Empty(await store.SearchAsync(Query(v, partition: "system-b"), Token));
        Assert.Single(await store.SearchAsync(Query(v, partition: "system-a"), Token));
    }

    [Fact]
    public async Task Search_ExpiredEntry_IsNotReturned()
    {
        var store = await CreateStoreAsync();
        var v = TestVectors.Random(6);
        await store.UpsertAsync(Entry("a", v, ttl: TimeSpan.FromMinutes(5)), Token);

        Assert.Single(await store.SearchAsync(Query(v, now: T0.AddMinutes(4)), Token));
        Assert.Empty(await store.SearchAsync(Query(v, now: T0.AddMinutes(5)), Token));
    }

    [Fact]
    public async Task Search_MinQualityTier_SkipsLowerAndUnknownTiers()
    {
        var store = await CreateStoreAsync();
        var q = TestVectors.Random(7);
        await store.UpsertAsync(Entry("tier2", TestVectors.AtCosine(q, 0.99, 1), tier: 2), Token);
        await store.UpsertAsync(Entry("tier4", TestVectors.AtCosine(q, 0.95, 2), tier: 4), Token);
        await store.UpsertAsync(Entry("unknown", TestVectors.AtCosine(q, 0.98, 3)), Token);

        var matches = await store.SearchAsync(Query(q, tier: 3), Token);

        Assert.Equal([KeyOf("tier4")], matches.Select(m => m.Entry.Key));
        Assert.Equal(3, (await store.SearchAsync(Query(q), Token)).Count);
    }

    [Fact]
    public async Task RemoveExpired_RemovesOnlyExpiredEntries()
    {
        var store = await CreateStoreAsync();
        await store.UpsertAsync(Entry("short", TestVectors.Random(1), ttl: TimeSpan.FromMinutes(1)), Token);
        await store.UpsertAsync(Entry("long", TestVectors.Random(2), ttl: TimeSpan.FromHours(2)), Token);
        await store.UpsertAsync(Entry("exact", null, ttl: TimeSpan.FromMinutes(1)), Token);
        Assert.Equal(3, await store.CountAsync(Token));

        var removed = await store.RemoveExpiredAsync(T0.AddMinutes(30), Token);

        Assert.Equal(2, removed);
        Assert.Equal(1, await store.CountAsync(Token));
        Assert.NotNull(await store.GetAsync(KeyOf("long"), T0, Token));
        Assert.Null(await store.GetAsync(KeyOf("short"), T0, Token));
    }

    [Fact]
    public async Task Remove_Key_RemovesFromGetAndSearch()
    {
        var store = await CreateStoreAsync();
        var v = TestVectors.Random(8);
        await store.UpsertAsync(Entry("a", v), Token);

        Assert.True(await store.RemoveAsync(KeyOf("a"), Token));
        Assert.False(await store.RemoveAsync(KeyOf("a"), Token));
        Assert.Null(await store.GetAsync(KeyOf("a"), T0, Token));
        Assert.Empty(await store.SearchAsync(Query(v), Token));
        Assert.Equal(0, await store.CountAsync(Token));
    }
}
