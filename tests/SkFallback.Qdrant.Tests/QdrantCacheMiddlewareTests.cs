using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SkFallback.Caching;

namespace SkFallback.Qdrant.Tests;

/// <summary>The Qdrant store under the response cache middleware (<c>UseFallbackCache</c>), resolved from DI as an app would.</summary>
public sealed class QdrantCacheMiddlewareTests
{
    private const string Secret = "qd-secret-7f3a9c";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly ChatOptions Deterministic = new() { Temperature = 0 };

    private static (ServiceProvider Services, IChatClient Client, CountingChatClient Provider, FakeLoggerProvider Logs) Build(Action<IServiceCollection> addStore)
    {
        var logs = new FakeLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddFallbackCache(o => o.SemanticEnabled = false);
        addStore(services);
        var provider = services.BuildServiceProvider();
        var inner = new CountingChatClient("4");
        var client = new ChatClientBuilder(inner).UseFallbackCache().Build(provider);
        return (provider, client, inner, logs);
    }

    [Fact]
    public async Task Calls_QdrantDown_AllSucceedFromTheProviderAndTheStoreWarnsOnce()
    {
        var (services, client, provider, logs) = Build(s => s.AddSkFallbackQdrantCache(ClosedPort.Endpoint(), Secret));
        using var _ = services;

        for (var i = 0; i < 3; i++)
        {
            var response = await client.GetResponseAsync("What is 2 + 2?", Deterministic, Token);
            Assert.Equal("4", response.Text);
            Assert.False(response.AdditionalProperties?.ContainsKey(CacheMetadataKeys.Hit) ?? false);
        }

        Assert.Equal(3, provider.Calls);
        var records = logs.Collector.GetSnapshot();
        Assert.Single(records, r => r.Category == typeof(QdrantSemanticCacheStore).FullName && r.Level == LogLevel.Warning);
        Assert.Contains(records, r => r.Category == typeof(SemanticCacheChatClient).FullName && r.Message.Contains(nameof(QdrantCacheUnavailableException), StringComparison.Ordinal));
        Assert.All(records, r => Assert.DoesNotContain(Secret, r.Message));
        Assert.True(services.GetRequiredService<QdrantSemanticCacheStore>().IsUnavailable);
    }

    [Fact]
    public async Task SecondIdenticalCall_QdrantStore_IsServedFromTheCache()
    {
        var qdrant = new FakeQdrantClient();
        var (services, client, provider, _) = Build(s =>
        {
            s.AddSkFallbackQdrantCache("http://127.0.0.1:6334");
            s.AddSingleton(sp => new QdrantSemanticCacheStore(
                new QdrantCacheOptions { Endpoint = "http://127.0.0.1:6334" }, qdrant, ownsClient: true, sp.GetService<ILogger<QdrantSemanticCacheStore>>(), null));
        });
        using var _ = services;

        var first = await client.GetResponseAsync("What is 2 + 2?", Deterministic, Token);
        var second = await client.GetResponseAsync("What is 2 + 2?", Deterministic, Token);

        Assert.Equal(1, provider.Calls);
        Assert.Equal("4", second.Text);
        Assert.Equal(CacheMetadataKeys.ExactHit, second.AdditionalProperties?[CacheMetadataKeys.Hit]);
        Assert.Single(qdrant.Collections["skfallback-cache-skfallback.exact"].Points);
        Assert.Null(first.AdditionalProperties?.GetValueOrDefault(CacheMetadataKeys.Hit));
    }
}
