using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SkFallback.CircuitBreaking;

namespace SkFallback.Redis.Tests;

/// <summary>A store pointed at a port nothing listens on: runs everywhere, no Redis needed.</summary>
public sealed class RedisUnreachableTests : IAsyncDisposable
{
    private readonly StoreFactory _stores = new($"127.0.0.1:{RedisServerProcess.FreePort()}");

    public ValueTask DisposeAsync() => _stores.DisposeAsync();

    [Fact]
    public async Task AllOperations_RedisUnreachable_DoNotThrowGrantTheProbeAndLogOnce()
    {
        var logger = new FakeLogger<RedisProviderStateStore>();
        var store = _stores.Create("replica-a", logger);
        var received = new ChangeRecorder();

        // Before the first connection attempt has even finished, and after.
        Assert.True(store.TryAcquireProbe("p/m", TimeSpan.FromSeconds(30)));
        store.Publish(new ProviderStateChange("p/m", CircuitState.Open, DateTimeOffset.UtcNow.AddSeconds(30), null, store.ReplicaId));
        using var subscription = store.Subscribe(received.Record);
        await store.Connecting.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        for (int i = 0; i < 5; i++)
        {
            store.Publish(new ProviderStateChange("p/m", CircuitState.Open, DateTimeOffset.UtcNow.AddSeconds(30), null, store.ReplicaId));
            Assert.True(store.TryAcquireProbe("p/m", TimeSpan.FromSeconds(30)));
        }

        await Eventually.AssertAsync(() => store.OutageSignals >= 10, "the store has seen Redis unreachable many times");
        Assert.False(store.IsConnected);
        Assert.True(1 == Count(logger, 100), string.Join(Environment.NewLine, logger.Collector.GetSnapshot().Select(r => $"{r.Id} {r.Level} {r.Message}")));
        Assert.Equal(0, Count(logger, 101));
        Assert.Empty(received.Changes);
    }

    private static int Count(FakeLogger<RedisProviderStateStore> logger, int eventId) =>
        logger.Collector.GetSnapshot().Count(r => r.Id.Id == eventId && r.Level >= LogLevel.Information);
}
