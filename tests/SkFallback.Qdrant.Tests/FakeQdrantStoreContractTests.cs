using SkFallback.Caching;
using SkFallback.Tests.Caching;

namespace SkFallback.Qdrant.Tests;

/// <summary>
/// The store contract against <see cref="QdrantSemanticCacheStore"/> over the in-memory <see cref="FakeQdrantClient"/>:
/// runs everywhere, and checks the store's own logic (payload layout, expiry and tenant filters, the exact-only collection,
/// replacing a key across collections) that the server run checks end to end.
/// </summary>
public sealed class FakeQdrantStoreContractTests : SemanticCacheStoreContract
{
    protected override ValueTask<ISemanticCacheStore> CreateStoreAsync(int maxEntries = 10_000) =>
        ValueTask.FromResult<ISemanticCacheStore>(new QdrantSemanticCacheStore(
            new QdrantCacheOptions { Endpoint = "http://127.0.0.1:6334" }, new FakeQdrantClient(), ownsClient: true, logger: null, timeProvider: null));
}
