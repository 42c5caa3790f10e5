using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Caching;
using SkFallback.Tests.Caching;

namespace SkFallback.Qdrant.Tests;

public sealed class QdrantCacheCleanupServiceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeQdrantClient _qdrant = new();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly FakeLogger<QdrantCacheCleanupService> _logger = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static QdrantCacheOptions Options(TimeSpan interval) => new() { Endpoint = "http://127.0.0.1:6334", CleanupInterval = interval };

    private QdrantSemanticCacheStore CreateStore(TimeSpan interval) => new(Options(interval), _qdrant, ownsClient: false, logger: null, _time);

    private static SemanticCacheEntry Entry(string key, TimeSpan ttl, bool vector = true) => new()
    {
        Key = key,
        Namespace = "ns",
        Tenant = string.Empty,
        Partition = "p1",
        Vector = vector ? TestVectors.Random(key.Length) : ReadOnlyMemory<float>.Empty,
        Response = "{}",
        CreatedAt = T0,
        ExpiresAt = T0 + ttl,
    };

    [Fact]
    public async Task Service_EachInterval_RemovesWhatHasExpiredByThen()
    {
        using var store = CreateStore(TimeSpan.FromMinutes(10));
        await store.UpsertAsync(Entry("short", TimeSpan.FromMinutes(5)), Token);
        await store.UpsertAsync(Entry("exact-short", TimeSpan.FromMinutes(5), vector: false), Token);
        await store.UpsertAsync(Entry("medium", TimeSpan.FromMinutes(15)), Token);
        await store.UpsertAsync(Entry("long", TimeSpan.FromHours(2)), Token);
        using var service = new QdrantCacheCleanupService(store, Microsoft.Extensions.Options.Options.Create(Options(TimeSpan.FromMinutes(10))), _time, _logger);
        await service.StartAsync(Token);

        // Nothing happens before the first interval has passed.
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(4, await store.CountAsync(Token));

        // The first run finds expired entries in both collections of the namespace: its last call is the second delete.
        var firstRun = _qdrant.WhenCalled("delete-filter", times: 2);
        _time.Advance(TimeSpan.FromMinutes(1));
        await firstRun.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal(2, await store.CountAsync(Token));

        var secondRun = _qdrant.WhenCalled("delete-filter");
        _time.Advance(TimeSpan.FromMinutes(10));
        await secondRun.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal(1, await store.CountAsync(Token));
        Assert.NotNull(await store.GetAsync("long", _time.GetUtcNow(), Token));

        await service.StopAsync(Token);
        Assert.True(service.ExecuteTask!.IsCompletedSuccessfully);
        Assert.Equal(3, _qdrant.CallLog.Count(c => c.StartsWith("delete-filter", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Service_IntervalZero_EndsAtOnce()
    {
        using var store = CreateStore(TimeSpan.Zero);
        using var service = new QdrantCacheCleanupService(store, Microsoft.Extensions.Options.Options.Create(Options(TimeSpan.Zero)), _time, _logger);

        await service.StartAsync(Token);

        await service.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.True(service.ExecuteTask.IsCompletedSuccessfully);
        Assert.Equal(0, _qdrant.Calls);
    }

    [Fact]
    public async Task RunOnce_QdrantDown_ReturnsZeroWithoutThrowingOrWarningAgain()
    {
        using var store = CreateStore(TimeSpan.FromMinutes(10));
        using var service = new QdrantCacheCleanupService(store, Microsoft.Extensions.Options.Options.Create(Options(TimeSpan.FromMinutes(10))), _time, _logger);
        _qdrant.FailWith = StatusCode.Unavailable;

        Assert.Equal(0, await service.RunOnceAsync(Token));

        Assert.True(store.IsUnavailable);
        Assert.Empty(_logger.Collector.GetSnapshot()); // the store itself warned about the outage
    }

    [Fact]
    public async Task RunOnce_RequestRejected_LogsOneWarning()
    {
        using var store = CreateStore(TimeSpan.FromMinutes(10));
        using var service = new QdrantCacheCleanupService(store, Microsoft.Extensions.Options.Options.Create(Options(TimeSpan.FromMinutes(10))), _time, _logger);
        _qdrant.FailWith = StatusCode.InvalidArgument;

        Assert.Equal(0, await service.RunOnceAsync(Token));

        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.StartsWith("Response cache: the Qdrant cleanup failed (InvalidOperationException: Qdrant at http://127.0.0.1:6334 rejected the cache cleanup", record.Message);
    }
}
