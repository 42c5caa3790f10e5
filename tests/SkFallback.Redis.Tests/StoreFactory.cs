using Microsoft.Extensions.Logging.Testing;
using StackExchange.Redis;

namespace SkFallback.Redis.Tests;

/// <summary>Creates stores (each with its own multiplexer) under one unique key prefix, and disposes them.</summary>
internal sealed class StoreFactory : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    public StoreFactory(string endpoint)
    {
        Endpoint = endpoint;
        Prefix = "test-" + Guid.NewGuid().ToString("N")[..12];
    }

    public string Endpoint { get; }

    public string Prefix { get; }

    public static string ConnectionString(string endpoint) => $"{endpoint},connectTimeout=2000,syncTimeout=2000";

    public RedisProviderStateStore Create(string replicaId, FakeLogger<RedisProviderStateStore>? logger = null, string? endpoint = null, Action<RedisProviderStateOptions>? configure = null)
    {
        var options = new RedisProviderStateOptions
        {
            ConnectionString = ConnectionString(endpoint ?? Endpoint),
            KeyPrefix = Prefix,
            ReplicaId = replicaId,
        };
        configure?.Invoke(options);
        var store = new RedisProviderStateStore(options, logger);
        _owned.Add(store);
        return store;
    }

    public async Task<RedisProviderStateStore> CreateReadyAsync(string replicaId, FakeLogger<RedisProviderStateStore>? logger = null, string? endpoint = null)
    {
        var store = Create(replicaId, logger, endpoint);
        await store.Ready.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        return store;
    }

    /// <summary>A plain connection for looking at (or writing) keys directly.</summary>
    public async Task<IConnectionMultiplexer> AdminAsync()
    {
        var admin = await ConnectionMultiplexer.ConnectAsync(ConnectionString(Endpoint));
        _owned.Add(admin);
        return admin;
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }
}
