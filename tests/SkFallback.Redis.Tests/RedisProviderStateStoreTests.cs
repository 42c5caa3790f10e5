using SkFallback.CircuitBreaking;
using StackExchange.Redis;

namespace SkFallback.Redis.Tests;

public sealed class RedisProviderStateStoreTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly StoreFactory _stores = new(RedisTestEnvironment.RequireEndpoint());

    public ValueTask DisposeAsync() => _stores.DisposeAsync();

    [Fact]
    public async Task Publish_OpenOnOneReplica_ReachesTheOtherReplicasSubscriberWithItsFields()
    {
        var a = await _stores.CreateReadyAsync("replica-a");
        var b = await _stores.CreateReadyAsync("replica-b");
        var received = new ChangeRecorder();
        using var subscription = b.Subscribe(received.Record);

        var openUntil = Now.AddSeconds(30);
        var cooldownUntil = Now.AddSeconds(45);
        a.Publish(new ProviderStateChange("openai/gpt-4o", CircuitState.Open, openUntil, cooldownUntil, a.ReplicaId));

        await Eventually.AssertAsync(() => received.Has(c => c.ProviderKey == "openai/gpt-4o"), "B receives A's change");
        var change = received.Last("openai/gpt-4o");
        Assert.Equal(CircuitState.Open, change.State);
        Assert.Equal(openUntil.UtcTicks, change.OpenUntil.UtcTicks);
        Assert.Equal(cooldownUntil.UtcTicks, change.CooldownUntil?.UtcTicks);
        Assert.Equal("replica-a", change.Origin);
    }

    [Fact]
    public async Task Publish_OwnChange_IsNotEchoedToOwnSubscriber()
    {
        var a = await _stores.CreateReadyAsync("replica-a");
        var b = await _stores.CreateReadyAsync("replica-b");
        var atA = new ChangeRecorder();
        var atB = new ChangeRecorder();
        using var subA = a.Subscribe(atA.Record);
        using var subB = b.Subscribe(atB.Record);

        a.Publish(new ProviderStateChange("p/m", CircuitState.Open, Now.AddSeconds(30), null, a.ReplicaId));

        // Once B has it, the message has been through the channel A also listens to.
        await Eventually.AssertAsync(() => atB.Has(c => c.ProviderKey == "p/m"), "B receives the change");
        Assert.Empty(atA.Changes);
    }

    [Fact]
    public async Task Publish_OlderOpenUntil_DoesNotOverwriteTheNewerOne()
    {
        var a = await _stores.CreateReadyAsync("replica-a");
        var b = await _stores.CreateReadyAsync("replica-b");
        var atA = new ChangeRecorder();
        var atB = new ChangeRecorder();
        using var subA = a.Subscribe(atA.Record);
        using var subB = b.Subscribe(atB.Record);
        var later = Now.AddSeconds(60);

        a.Publish(new ProviderStateChange("p/m", CircuitState.Open, later, null, a.ReplicaId));
        await Eventually.AssertAsync(() => atB.Has(c => c.ProviderKey == "p/m"), "B receives A's open");

        b.Publish(new ProviderStateChange("p/m", CircuitState.Open, Now.AddSeconds(30), null, b.ReplicaId));
        b.Publish(new ProviderStateChange("marker/m", CircuitState.Open, Now.AddSeconds(30), null, b.ReplicaId));

        // Messages of one connection arrive in order: the marker proves the older open was not published.
        await Eventually.AssertAsync(() => atA.Has(c => c.ProviderKey == "marker/m"), "A receives B's marker");
        Assert.DoesNotContain(atA.Changes, c => c.ProviderKey == "p/m");
        var admin = await _stores.AdminAsync();
        var stored = await admin.GetDatabase().HashGetAsync($"skfallback:{_stores.Prefix}:provider:p/m", ["openUntil", "origin"]);
        Assert.Equal(later.UtcTicks.ToString(), stored[0].ToString());
        Assert.Equal("replica-a", stored[1].ToString());
    }

    [Fact]
    public async Task Publish_LaterOpenUntil_WinsAndReachesTheFirstReplica()
    {
        var a = await _stores.CreateReadyAsync("replica-a");
        var b = await _stores.CreateReadyAsync("replica-b");
        var atA = new ChangeRecorder();
        var atB = new ChangeRecorder();
        using var subA = a.Subscribe(atA.Record);
        using var subB = b.Subscribe(atB.Record);

        a.Publish(new ProviderStateChange("p/m", CircuitState.Open, Now.AddSeconds(30), null, a.ReplicaId));
        await Eventually.AssertAsync(() => atB.Has(c => c.ProviderKey == "p/m"), "B receives A's open");
        b.Publish(new ProviderStateChange("p/m", CircuitState.Open, Now.AddSeconds(90), null, b.ReplicaId));

        await Eventually.AssertAsync(() => atA.Has(c => c.ProviderKey == "p/m"), "A receives B's longer break");
        Assert.Equal(Now.AddSeconds(90).UtcTicks, atA.Last("p/m").OpenUntil.UtcTicks);
    }

    [Fact]
    public async Task Publish_CloseOfAnOpenTheReplicaHasSeen_ClosesItEverywhere()
    {
        var a = await _stores.CreateReadyAsync("replica-a");
        var b = await _stores.CreateReadyAsync("replica-b");
        var atA = new ChangeRecorder();
        var atB = new ChangeRecorder();
        using var subA = a.Subscribe(atA.Record);
        using var subB = b.Subscribe(atB.Record);

        a.Publish(new ProviderStateChange("p/m", CircuitState.Open, Now.AddSeconds(30), null, a.ReplicaId));
        await Eventually.AssertAsync(() => atB.Has(c => c.ProviderKey == "p/m"), "B receives A's open");

        // B's probe succeeded: it closes the open it knows about.
        b.Publish(new ProviderStateChange("p/m", CircuitState.Closed, default, null, b.ReplicaId));

        await Eventually.AssertAsync(() => atA.Has(c => c.ProviderKey == "p/m" && c.State == CircuitState.Closed), "A receives B's close");
    }

    [Fact]
    public async Task Publish_CloseFromAReplicaThatNeverSawTheOpen_IsIgnored()
    {
        var admin = await _stores.AdminAsync();
        var a = await _stores.CreateReadyAsync("replica-a");

        a.Publish(new ProviderStateChange("p/m", CircuitState.Open, Now.AddSeconds(30), null, a.ReplicaId));
        var key = $"skfallback:{_stores.Prefix}:provider:p/m";
        await Eventually.AssertAsync(() => admin.GetDatabase().KeyExists(key), "A's open is stored");

        // A replica that never saw the open (base version 0) cannot close it.
        var stale = new ProviderStateChange("p/m", CircuitState.Closed, default, null, "replica-c");
        await EvaluateAsync(admin, stale, baseVersion: 0);

        Assert.Equal("open", (string?)await admin.GetDatabase().HashGetAsync(key, "state"));
    }

    [Fact]
    public async Task Publish_LaterCooldown_WinsAndAnEarlierOneIsIgnored()
    {
        var admin = await _stores.AdminAsync();
        var a = await _stores.CreateReadyAsync("replica-a");
        var b = await _stores.CreateReadyAsync("replica-b");
        var atB = new ChangeRecorder();
        using var subB = b.Subscribe(atB.Record);
        var key = $"skfallback:{_stores.Prefix}:provider:p/m";

        a.Publish(new ProviderStateChange("p/m", CircuitState.Closed, default, Now.AddSeconds(20), a.ReplicaId));
        await Eventually.AssertAsync(() => atB.Has(c => c.CooldownUntil?.UtcTicks == Now.AddSeconds(20).UtcTicks), "B receives the cooldown");
        Assert.Equal(CircuitState.Closed, atB.Last("p/m").State);

        a.Publish(new ProviderStateChange("p/m", CircuitState.Closed, default, Now.AddSeconds(10), a.ReplicaId));
        a.Publish(new ProviderStateChange("p/m", CircuitState.Closed, default, Now.AddSeconds(40), a.ReplicaId));
        await Eventually.AssertAsync(() => atB.Has(c => c.CooldownUntil?.UtcTicks == Now.AddSeconds(40).UtcTicks), "B receives the later cooldown");

        Assert.DoesNotContain(atB.Changes, c => c.CooldownUntil?.UtcTicks == Now.AddSeconds(10).UtcTicks);
        Assert.Equal(Now.AddSeconds(40).UtcTicks.ToString(), (string?)await admin.GetDatabase().HashGetAsync(key, "cooldownUntil"));
    }

    [Fact]
    public async Task Publish_Open_SetsAKeyTtlOfOpenUntilPlusRetention()
    {
        var admin = await _stores.AdminAsync();
        var a = await _stores.CreateReadyAsync("replica-a");
        var key = $"skfallback:{_stores.Prefix}:provider:p/m";

        a.Publish(new ProviderStateChange("p/m", CircuitState.Open, DateTimeOffset.UtcNow.AddMinutes(2), null, a.ReplicaId));
        await Eventually.AssertAsync(() => admin.GetDatabase().KeyExists(key), "the open is stored");

        var ttl = await admin.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(11), TimeSpan.FromMinutes(12.1));
    }

    [Fact]
    public async Task TryAcquireProbe_TwentyConcurrentAttemptsOnTwoReplicas_ExactlyOneWins()
    {
        var a = await _stores.CreateReadyAsync("replica-a");
        var b = await _stores.CreateReadyAsync("replica-b", endpoint: null);
        using var start = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 20)
            .Select(i => Task.Run(() =>
            {
                start.Wait(TestContext.Current.CancellationToken);
                var store = i % 2 == 0 ? a : b;
                return store.TryAcquireProbe("p/m", TimeSpan.FromSeconds(30));
            }))
            .ToArray();
        start.Set();
        bool[] results = await Task.WhenAll(attempts);

        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task TryAcquireProbe_AfterTheBreakerReopens_IsGrantedAgain()
    {
        var admin = await _stores.AdminAsync();
        var a = await _stores.CreateReadyAsync("replica-a");
        var b = await _stores.CreateReadyAsync("replica-b");
        var key = $"skfallback:{_stores.Prefix}:provider:p/m";

        a.Publish(new ProviderStateChange("p/m", CircuitState.Open, Now.AddSeconds(1), null, a.ReplicaId));
        await Eventually.AssertAsync(() => admin.GetDatabase().KeyExists(key), "the open is stored");
        Assert.True(a.TryAcquireProbe("p/m", TimeSpan.FromMinutes(5)));
        Assert.False(b.TryAcquireProbe("p/m", TimeSpan.FromMinutes(5)));

        // The probe failed: A reopens with a later break, which starts a new probe round.
        a.Publish(new ProviderStateChange("p/m", CircuitState.Open, Now.AddSeconds(5), null, a.ReplicaId));
        await Eventually.AssertAsync(() => !admin.GetDatabase().KeyExists($"skfallback:{_stores.Prefix}:probe:p/m"), "the lease is released");
        Assert.True(b.TryAcquireProbe("p/m", TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task Subscribe_WithStateAlreadyShared_DeliversItAtOnce()
    {
        var a = await _stores.CreateReadyAsync("replica-a");
        var admin = await _stores.AdminAsync();
        a.Publish(new ProviderStateChange("p/one", CircuitState.Open, Now.AddSeconds(30), null, a.ReplicaId));
        a.Publish(new ProviderStateChange("p/two", CircuitState.Closed, default, Now.AddSeconds(15), a.ReplicaId));
        await Eventually.AssertAsync(
            () => admin.GetDatabase().KeyExists($"skfallback:{_stores.Prefix}:provider:p/one") && admin.GetDatabase().KeyExists($"skfallback:{_stores.Prefix}:provider:p/two"),
            "both records are stored");

        var b = await _stores.CreateReadyAsync("replica-b");
        var atB = new ChangeRecorder();
        using var subB = b.Subscribe(atB.Record);

        await Eventually.AssertAsync(() => atB.Changes.Count == 2, "B receives both records");
        Assert.Equal(CircuitState.Open, atB.Last("p/one").State);
        Assert.Equal(Now.AddSeconds(30).UtcTicks, atB.Last("p/one").OpenUntil.UtcTicks);
        Assert.Equal(Now.AddSeconds(15).UtcTicks, atB.Last("p/two").CooldownUntil?.UtcTicks);
        Assert.All(atB.Changes, c => Assert.Equal("replica-a", c.Origin));
    }

    [Fact]
    public async Task Subscribe_DisposedSubscription_ReceivesNothingMore()
    {
        var a = await _stores.CreateReadyAsync("replica-a");
        var b = await _stores.CreateReadyAsync("replica-b");
        var kept = new ChangeRecorder();
        var dropped = new ChangeRecorder();
        using var keep = b.Subscribe(kept.Record);
        b.Subscribe(dropped.Record).Dispose();

        // Pub/sub drops what is published before the subscription reaches the server, so publish until it arrives
        // (each change a little later than the last, since the shared record only moves forward).
        for (var i = 0; i < 50 && !kept.Has(c => c.ProviderKey == "p/m"); i++)
        {
            a.Publish(new ProviderStateChange("p/m", CircuitState.Open, Now.AddSeconds(30 + i), null, a.ReplicaId));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        await Eventually.AssertAsync(() => kept.Has(c => c.ProviderKey == "p/m"), "the kept subscription receives the change");
        Assert.Empty(dropped.Changes);
    }

    private async Task EvaluateAsync(IConnectionMultiplexer admin, ProviderStateChange change, long baseVersion)
    {
        var keys = new RedisKeys(_stores.Prefix);
        await admin.GetDatabase().ScriptEvaluateAsync(
            ProviderStateScript.Source,
            [keys.Provider(change.ProviderKey), keys.Probe(change.ProviderKey)],
            ProviderStateScript.Arguments(change, baseVersion, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10), keys));
    }
}
