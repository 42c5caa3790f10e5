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
            foreach (var threshold in new[] { 0.5f, 0.7f, 0.85f, 0.9f })
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

    [Theory]
    [InlineData(384)]
    [InlineData(100)]
    [InlineData(72)]
    [InlineData(12)]
    public async Task Search_EveryScanPath_ReturnsExactlyWhatTheFullScanReturns(int dims)
    {
        using var store = new InMemorySemanticCacheStore(maxEntries: 20_000);
        var queries = Enumerable.Range(0, 12).Select(i => SignCodeTests.Shaped(500 + i, dims)).ToArray();
        var thresholds = new[] { 0.0001f, 0.3f, 0.5f, 0.7f, 0.85f, 0.9f, 0.99f, 1f };
        var n = 0;
        foreach (var q in queries)
        {
            // Neighbours on both sides of every threshold, and copies of one of them (ties), among vectors of every shape.
            foreach (var t in thresholds)
            {
                foreach (var delta in new[] { -1e-3, -1e-5, 0, 1e-5, 1e-3, 0.05 })
                {
                    var cosine = Math.Clamp(t + delta, -1, 1);
                    await store.UpsertAsync(Entry("near" + n, TestVectors.AtCosine(q, cosine, n)), Token);
                    n++;
                }
            }

            var copy = TestVectors.AtCosine(q, 0.93, n);
            for (var c = 0; c < 3; c++)
            {
                await store.UpsertAsync(Entry("copy" + n++, copy), Token);
            }
        }

        for (var i = 0; i < 1500; i++)
        {
            await store.UpsertAsync(Entry("shape" + i, SignCodeTests.Shaped(i, dims)), Token);
        }

        // Removals move the last row into the hole, codes and norms included; the count stays off a multiple of 64.
        for (var i = 0; i < 300; i += 7)
        {
            await store.RemoveAsync(KeyOf("shape" + i), Token);
        }

        await store.RemoveAsync(KeyOf("near5"), Token);
        Assert.NotEqual(0, await store.CountAsync(Token) % 64);

        var compared = 0;
        foreach (var q in queries.Concat([SignCodeTests.Shaped(9001, dims), SignCodeTests.Shaped(9002, dims), SignCodeTests.Shaped(9003, dims)]))
        {
            foreach (var threshold in thresholds)
            {
                foreach (var max in new[] { 1, 4, 64 })
                {
                    var query = Query(q, min: threshold, max: max);
                    var full = store.Search(query, SegmentScan.Full, out var scoredFull);
                    var vector = store.Search(query, SegmentScan.Prefilter, out var scoredVector);
                    var avx2 = store.Search(query, SegmentScan.PrefilterAvx2, out var scoredAvx2);
                    var portable = store.Search(query, SegmentScan.PrefilterPortable, out var scoredPortable);
                    var expected = full.Select(m => (m.Entry.Key, m.Similarity)).ToList();
                    Assert.Equal(expected, vector.Select(m => (m.Entry.Key, m.Similarity)).ToList());
                    Assert.Equal(expected, avx2.Select(m => (m.Entry.Key, m.Similarity)).ToList());
                    Assert.Equal(expected, portable.Select(m => (m.Entry.Key, m.Similarity)).ToList());
                    Assert.Equal(scoredVector, scoredPortable);
                    Assert.Equal(scoredAvx2, scoredPortable);
                    Assert.True(scoredVector <= scoredFull);
                    Assert.Equal(expected, (await store.SearchAsync(query, Token)).Select(m => (m.Entry.Key, m.Similarity)).ToList());
                    compared += expected.Count;
                }
            }
        }

        Assert.True(compared > 1000, $"only {compared} matches compared");
    }

    [Fact]
    public async Task Search_UnrelatedVectors_ScoresOnlyTheFewTheBoundCannotRuleOut()
    {
        using var store = new InMemorySemanticCacheStore(maxEntries: 20_000);
        var q = TestVectors.Random(1_000_077, 384);
        for (var i = 0; i < 6000; i++)
        {
            await store.UpsertAsync(Entry("v" + i, i == 4321 ? TestVectors.AtCosine(q, 0.9, i) : TestVectors.Random(i, 384)), Token);
        }

        var matches = store.Search(Query(q, min: 0.85f), SegmentScan.Auto, out var scored);

        Assert.Equal([KeyOf("v4321")], matches.Select(m => m.Entry.Key));
        Assert.InRange(scored, 1, 60);
    }

    [Fact]
    public async Task Search_ThresholdAtOrBelowZero_ScoresEveryRow()
    {
        using var store = new InMemorySemanticCacheStore();
        for (var i = 0; i < 300; i++)
        {
            await store.UpsertAsync(Entry("v" + i, TestVectors.Random(i, 32)), Token);
        }

        var matches = store.Search(Query(TestVectors.Random(1, 32), min: 0f, max: 300), SegmentScan.Auto, out var scored);

        Assert.Equal(300, scored);
        Assert.All(matches, m => Assert.True(m.Similarity >= 0));
        Assert.Equal(matches.OrderByDescending(m => m.Similarity).Select(m => m.Entry.Key), matches.Select(m => m.Entry.Key));
    }
}
