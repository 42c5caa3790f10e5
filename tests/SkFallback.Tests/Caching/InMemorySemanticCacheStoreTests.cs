using SkFallback.Caching;

namespace SkFallback.Tests.Caching;

public sealed class InMemorySemanticCacheStoreTests : SemanticCacheStoreContract
{
    protected override ValueTask<ISemanticCacheStore> CreateStoreAsync(int maxEntries = 10_000) =>
        ValueTask.FromResult<ISemanticCacheStore>(new InMemorySemanticCacheStore(maxEntries));

    [Fact]
    public async Task Upsert_BeyondMaxEntries_EvictsLeastRecentlyUsed()
    {
        using var store = new InMemorySemanticCacheStore(maxEntries: 3);
        await store.UpsertAsync(Entry("a", TestVectors.Random(1)), Token);
        await store.UpsertAsync(Entry("b", TestVectors.Random(2)), Token);
        await store.UpsertAsync(Entry("c", null), Token);
        Assert.NotNull(await store.GetAsync(KeyOf("a"), T0, Token)); // a is now more recent than b

        await store.UpsertAsync(Entry("d", TestVectors.Random(4)), Token);

        Assert.Equal(3, await store.CountAsync(Token));
        Assert.Equal(1, store.Evictions);
        Assert.Null(await store.GetAsync(KeyOf("b"), T0, Token));
        Assert.Empty(await store.SearchAsync(Query(TestVectors.Random(2), min: 0.99f), Token));
        Assert.NotNull(await store.GetAsync(KeyOf("a"), T0, Token));
        Assert.NotNull(await store.GetAsync(KeyOf("c"), T0, Token));
        Assert.NotNull(await store.GetAsync(KeyOf("d"), T0, Token));
    }

    [Fact]
    public async Task Upsert_ManyBeyondMaxEntries_NeverHoldsMore()
    {
        using var store = new InMemorySemanticCacheStore(maxEntries: 500);
        for (var i = 0; i < 2000; i++)
        {
            await store.UpsertAsync(Entry("e" + i, TestVectors.Random(i), partition: "p" + (i % 7)), Token);
            Assert.True(await store.CountAsync(Token) <= 500);
        }

        Assert.NotNull(await store.GetAsync(KeyOf("e1999"), T0, Token));
        Assert.Null(await store.GetAsync(KeyOf("e0"), T0, Token));
    }

    [Fact]
    public async Task Upsert_OtherDimensionsInSameNamespace_ThrowsNamingTheNamespace()
    {
        using var store = new InMemorySemanticCacheStore();
        await store.UpsertAsync(Entry("a", TestVectors.Random(1, 16)), Token);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpsertAsync(Entry("b", TestVectors.Random(2, 8)), Token));
        Assert.Contains("8 dimensions", error.Message);
        Assert.Contains("16 dimensions", error.Message);
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SearchAsync(Query(TestVectors.Random(3, 8)), Token));
    }

    [Fact]
    public async Task Search_LargePartition_PrefilterFindsExactlyWhatBruteForceFinds()
    {
        const int dims = 384;
        using var store = new InMemorySemanticCacheStore(maxEntries: 20_000);
        var queries = Enumerable.Range(0, 40).Select(i => TestVectors.Random(100_000 + i, dims)).ToArray();
        var all = new List<(string Key, float[] Vector)>();
        for (var i = 0; i < 6000; i++)
        {
            // Most entries are unrelated; every tenth lies near a query at a cosine between 0.80 and 0.99.
            var vector = i % 10 == 0
                ? TestVectors.AtCosine(queries[(i / 10) % queries.Length], 0.80 + (0.19 * ((i / 10) % 17) / 16.0), i)
                : TestVectors.Random(i, dims);
            all.Add((KeyOf("v" + i), vector));
            await store.UpsertAsync(Entry("v" + i, vector), Token);
        }

        Assert.True(all.Count >= InMemorySemanticCacheStore.PrefilterThreshold);
        var compared = 0;
        foreach (var q in queries)
        {
            foreach (var threshold in new[] { 0.85f, 0.9f })
            {
                var expected = all.Select(e => (e.Key, Score: TestVectors.Dot(e.Vector, q)))
                    .Where(e => e.Score >= threshold).OrderByDescending(e => e.Score).Take(4).Select(e => e.Key).ToList();
                var actual = await store.SearchAsync(Query(q, min: threshold), Token);
                Assert.Equal(expected, actual.Select(m => m.Entry.Key).ToList());
                compared += expected.Count;
            }
        }

        Assert.True(compared > 100, $"only {compared} planted matches compared");
    }
}
