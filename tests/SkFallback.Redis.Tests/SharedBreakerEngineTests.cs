using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SkFallback.CircuitBreaking;

namespace SkFallback.Redis.Tests;

/// <summary>Two fallback engines, each in its own service provider, sharing breaker state through a real redis-server.</summary>
public sealed class SharedBreakerEngineTests
{
    private sealed class Replica : IAsyncDisposable
    {
        private readonly ServiceProvider _services;

        public Replica(string endpoint, string prefix, string replicaId)
        {
            var services = new ServiceCollection();
            services.AddSkFallbackRedis(o =>
            {
                o.ConnectionString = StoreFactory.ConnectionString(endpoint);
                o.KeyPrefix = prefix;
                o.ReplicaId = replicaId;
            });
            services.AddFallbackChatClient(o =>
            {
                o.RetryBaseDelay = TimeSpan.Zero;
                o.MaxRetriesPerProvider = 0;
                o.CircuitBreaker.Jitter = 0;
                o.CircuitBreaker.BreakDuration = TimeSpan.FromMinutes(5);
                foreach (var provider in new[] { Primary, Secondary, Tertiary })
                {
                    o.Add(new ProviderOptions { Name = provider.Name, Kind = ProviderKinds.Custom, Model = "m", Client = provider });
                }
            });
            _services = services.BuildServiceProvider();
            Store = _services.GetRequiredService<RedisProviderStateStore>();
            Client = _services.GetRequiredService<IChatClient>();
            Store.Subscribe(Seen.Record); // after the engine's subscription: what this sees, the engine has applied
        }

        public CountingChatClient Primary { get; } = new("primary");

        public CountingChatClient Secondary { get; } = new("secondary");

        public CountingChatClient Tertiary { get; } = new("tertiary");

        public RedisProviderStateStore Store { get; }

        public IChatClient Client { get; }

        public ChangeRecorder Seen { get; } = new();

        public async Task<string> AskAsync() =>
            (await Client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken)).Text;

        public ValueTask DisposeAsync() => _services.DisposeAsync();
    }

    [Fact]
    public async Task Engines_OneOpensABreaker_TheOtherSkipsTheProviderAndStateConvergesAfterARedisRestart()
    {
        string binary = RedisTestEnvironment.RequireRedisServerBinary();
        using var server = new RedisServerProcess(binary);
        await server.StartAsync();
        string prefix = "engine-" + Guid.NewGuid().ToString("N")[..8];
        await using var one = new Replica(server.Endpoint, prefix, "replica-1");
        await using var two = new Replica(server.Endpoint, prefix, "replica-2");
        await one.Store.Ready.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        await two.Store.Ready.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        // Replica 1 sees the primary fail three times: its breaker opens and replica 2 learns it.
        one.Primary.Down = true;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("from secondary", await one.AskAsync());
        }

        await Eventually.AssertAsync(() => two.Seen.Has(c => c.ProviderKey == "primary/m" && c.State == CircuitState.Open), "replica 2 hears that the primary is open");
        Assert.Equal("from secondary", await two.AskAsync());
        Assert.Equal(0, two.Primary.Calls);

        // Redis dies: calls still succeed on local state, and replica 1's secondary breaker opens locally.
        await server.KillAsync();
        await Eventually.AssertAsync(() => !one.Store.IsConnected && !two.Store.IsConnected, "both replicas notice that Redis is gone");
        one.Secondary.Down = true;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("from tertiary", await one.AskAsync());
        }

        Assert.Equal("from secondary", await two.AskAsync());
        Assert.Equal(0, two.Primary.Calls);

        // Redis returns (empty): replica 1 replays its open, and replica 2 stops calling the secondary too.
        await server.StartAsync();
        await Eventually.AssertAsync(() => two.Seen.Has(c => c.ProviderKey == "secondary/m" && c.State == CircuitState.Open), "replica 2 hears that the secondary is open", TimeSpan.FromSeconds(45));
        int secondaryCalls = two.Secondary.Calls;
        Assert.Equal("from tertiary", await two.AskAsync());
        Assert.Equal(secondaryCalls, two.Secondary.Calls);
        Assert.Equal(0, two.Primary.Calls);
    }
}
