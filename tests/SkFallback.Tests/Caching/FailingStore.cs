using SkFallback.Caching;

namespace SkFallback.Tests.Caching;

/// <summary>A store that is down: every operation throws, as a vector database that cannot be reached would.</summary>
internal sealed class FailingStore : ISemanticCacheStore
{
    public int Calls;

    private ValueTask<T> Fail<T>()
    {
        Interlocked.Increment(ref Calls);
        return ValueTask.FromException<T>(new HttpRequestException("connection refused (store at 127.0.0.1:6334)"));
    }

    public ValueTask UpsertAsync(SemanticCacheEntry entry, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Calls);
        return ValueTask.FromException(new HttpRequestException("connection refused (store at 127.0.0.1:6334)"));
    }

    public ValueTask<SemanticCacheEntry?> GetAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default) => Fail<SemanticCacheEntry?>();

    public ValueTask<IReadOnlyList<SemanticCacheMatch>> SearchAsync(SemanticCacheQuery query, CancellationToken cancellationToken = default) => Fail<IReadOnlyList<SemanticCacheMatch>>();

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default) => Fail<bool>();

    public ValueTask<int> RemoveExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => Fail<int>();

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => Fail<long>();
}
