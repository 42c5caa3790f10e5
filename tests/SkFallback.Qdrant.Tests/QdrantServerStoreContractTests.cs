using SkFallback.Caching;
using SkFallback.Tests.Caching;

namespace SkFallback.Qdrant.Tests;

/// <summary>
/// The same store contract as the in-process store's, against a real Qdrant over gRPC (see <see cref="QdrantTestServer"/>);
/// skipped with the reason when there is none. Each store gets its own collection prefix, removed afterwards.
/// </summary>
public sealed class QdrantServerStoreContractTests(QdrantTestServer server) : SemanticCacheStoreContract, IAsyncDisposable
{
    private readonly List<QdrantSemanticCacheStore> _stores = [];
    private readonly string _prefix = "sktest-" + Guid.NewGuid().ToString("N")[..10] + "-";

    protected override ValueTask<ISemanticCacheStore> CreateStoreAsync(int maxEntries = 10_000)
    {
        Assert.SkipUnless(server.Available, server.SkipReason);
        var store = new QdrantSemanticCacheStore(new QdrantCacheOptions
        {
            Endpoint = server.Endpoint,
            ApiKey = server.ApiKey,
            CollectionPrefix = _prefix,
            Timeout = TimeSpan.FromSeconds(30),
            ExactSearch = true,
        });
        _stores.Add(store);
        return ValueTask.FromResult<ISemanticCacheStore>(store);
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
