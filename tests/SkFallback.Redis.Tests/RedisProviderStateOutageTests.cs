using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SkFallback.CircuitBreaking;

namespace SkFallback.Redis.Tests;

public sealed class RedisProviderStateOutageTests : IAsyncDisposable
{
    private static readonly TimeSpan ReconnectTimeout = TimeSpan.FromSeconds(45);
    private readonly StoreFactory _stores = new(RedisTestEnvironment.RequireEndpoint());

    public ValueTask DisposeAsync() => _stores.DisposeAsync();

    [Fact]
    public async Task Subscribe_ReplicaCutOffWhileAnotherPublishes_ReceivesTheChangeByResyncWhenBack()
    {
        await using var proxy = new TcpProxy(_stores.Endpoint);
        var logger = new FakeLogger<RedisProviderStateStore>();
        var a = await _stores.CreateReadyAsync("replica-a", logger, proxy.Endpoint);
        var b = await _stores.CreateReadyAsync("replica-b");
        var atA = new ChangeRecorder();
        using var subA = a.Subscribe(atA.Record);
        var admin = await _stores.AdminAsync();

        proxy.Cut();
        await Eventually.AssertAsync(() => !a.IsConnected, "A notices that Redis is gone");
        Assert.True(a.TryAcquireProbe("p/m", TimeSpan.FromSeconds(30)));

        // Published while A cannot hear it: pub/sub does not keep it for A, only the hash does.
        var openUntil = DateTimeOffset.UtcNow.AddMinutes(1);
        b.Publish(new ProviderStateChange("p/m", CircuitState.Open, openUntil, null, b.ReplicaId));
        await Eventually.AssertAsync(() => admin.GetDatabase().KeyExists($"skfallback:{_stores.Prefix}:provider:p/m"), "B's open is stored");
        Assert.Empty(atA.Changes);

        proxy.Restore();
        await Eventually.AssertAsync(() => atA.Has(c => c.ProviderKey == "p/m"), "A resynchronises after reconnecting", ReconnectTimeout);
        Assert.Equal(openUntil.UtcTicks, atA.Last("p/m").OpenUntil.UtcTicks);
        Assert.Equal("replica-b", atA.Last("p/m").Origin);
        Assert.Equal(1, Count(logger, 100));
        await Eventually.AssertAsync(() => Count(logger, 101) == 1, "A logs once that Redis is back");
    }

    [Fact]
    public async Task AllOperations_RedisKilledAndRestarted_ReconnectAndConverge()
    {
        string binary = RedisTestEnvironment.RequireRedisServerBinary();
        using var server = new RedisServerProcess(binary);
        await server.StartAsync();
        var loggerA = new FakeLogger<RedisProviderStateStore>();
        var loggerB = new FakeLogger<RedisProviderStateStore>();
        var a = await _stores.CreateReadyAsync("replica-a", loggerA, server.Endpoint);
        var b = await _stores.CreateReadyAsync("replica-b", loggerB, server.Endpoint);
        var atA = new ChangeRecorder();
        var atB = new ChangeRecorder();
        using var subA = a.Subscribe(atA.Record);
        using var subB = b.Subscribe(atB.Record);

        a.Publish(new ProviderStateChange("before/m", CircuitState.Open, DateTimeOffset.UtcNow.AddMinutes(1), null, a.ReplicaId));
        await Eventually.AssertAsync(() => atB.Has(c => c.ProviderKey == "before/m"), "B receives A's open before the outage");

        await server.KillAsync();
        await Eventually.AssertAsync(() => !a.IsConnected && !b.IsConnected, "both replicas notice that Redis is gone");

        // During the outage: nothing throws, probes are granted locally, B's open waits for Redis.
        Assert.True(a.TryAcquireProbe("during/m", TimeSpan.FromSeconds(30)));
        Assert.True(b.TryAcquireProbe("during/m", TimeSpan.FromSeconds(30)));
        var openUntil = DateTimeOffset.UtcNow.AddMinutes(2);
        b.Publish(new ProviderStateChange("during/m", CircuitState.Open, openUntil, null, b.ReplicaId));

        await server.StartAsync(); // same port, empty: it kept nothing
        await Eventually.AssertAsync(() => atA.Has(c => c.ProviderKey == "during/m"), "A learns B's open made during the outage", ReconnectTimeout);
        Assert.Equal(openUntil.UtcTicks, atA.Last("during/m").OpenUntil.UtcTicks);
        await Eventually.AssertAsync(() => a.IsConnected && b.IsConnected, "both replicas are connected again", ReconnectTimeout);

        // The shared state works as before: the probe is exclusive again, and new changes flow.
        Assert.True(a.TryAcquireProbe("after/m", TimeSpan.FromSeconds(30)));
        Assert.False(b.TryAcquireProbe("after/m", TimeSpan.FromSeconds(30)));
        a.Publish(new ProviderStateChange("after/m", CircuitState.Open, DateTimeOffset.UtcNow.AddMinutes(1), null, a.ReplicaId));
        await Eventually.AssertAsync(() => atB.Has(c => c.ProviderKey == "after/m"), "B receives A's open after the outage");

        Assert.Equal(1, Count(loggerA, 100));
        Assert.Equal(1, Count(loggerB, 100));
        await Eventually.AssertAsync(() => Count(loggerA, 101) == 1 && Count(loggerB, 101) == 1, "each replica logs once that Redis is back");
    }

    private static int Count(FakeLogger<RedisProviderStateStore> logger, int eventId) =>
        logger.Collector.GetSnapshot().Count(r => r.Id.Id == eventId && r.Level >= LogLevel.Information);
}
