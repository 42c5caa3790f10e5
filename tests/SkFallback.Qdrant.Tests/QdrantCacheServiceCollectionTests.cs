using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SkFallback.Caching;

namespace SkFallback.Qdrant.Tests;

public sealed class QdrantCacheServiceCollectionTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("SkFallback:Cache:Qdrant");

    [Fact]
    public void AddSkFallbackQdrantCache_FromConfiguration_ReplacesTheStoreAndBindsEveryOption()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ISemanticCacheStore>(new InMemorySemanticCacheStore());
        services.AddSkFallbackQdrantCache(Section(new()
        {
            ["SkFallback:Cache:Qdrant:Endpoint"] = "https://qdrant.example.com:6334",
            ["SkFallback:Cache:Qdrant:ApiKey"] = "key-1",
            ["SkFallback:Cache:Qdrant:CollectionPrefix"] = "app-",
            ["SkFallback:Cache:Qdrant:Timeout"] = "00:00:01",
            ["SkFallback:Cache:Qdrant:CleanupInterval"] = "00:05:00",
            ["SkFallback:Cache:Qdrant:ExactSearch"] = "true",
        }));
        using var provider = services.BuildServiceProvider();

        var store = Assert.IsType<QdrantSemanticCacheStore>(Assert.Single(provider.GetServices<ISemanticCacheStore>()));
        Assert.Same(store, provider.GetRequiredService<QdrantSemanticCacheStore>());
        Assert.Equal("https://qdrant.example.com:6334", store.Endpoint);
        Assert.Equal("app-ns", store.CollectionFor("ns"));
        var options = provider.GetRequiredService<IOptions<QdrantCacheOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(1), options.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(5), options.CleanupInterval);
        Assert.True(options.ExactSearch);
        Assert.Single(provider.GetServices<IHostedService>().OfType<QdrantCacheCleanupService>());
    }

    [Fact]
    public async Task HostStart_EndpointMissing_FailsNamingTheKey()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSkFallbackQdrantCache(Section(new() { ["SkFallback:Cache:Qdrant:Timeout"] = "00:00:01" }));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Token));

        Assert.Contains("SkFallback:Cache:Qdrant:Endpoint is required", error.Message);
    }

    [Fact]
    public async Task HostStart_QdrantDown_StartsAndTheStoreReportsUnavailable()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSkFallbackQdrantCache(ClosedPort.Endpoint(), apiKey: "key-1");
        using var host = builder.Build();

        await host.StartAsync(Token);
        var store = host.Services.GetRequiredService<ISemanticCacheStore>();
        await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.GetAsync("k", DateTimeOffset.UtcNow, Token));
        await host.StopAsync(Token);
    }

    [Fact]
    public void AddSkFallbackQdrantCache_InCode_UsesTheDefaultSectionInMessages()
    {
        var services = new ServiceCollection();
        services.AddSkFallbackQdrantCache(o => o.Endpoint = "http://127.0.0.1:6334/path");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<QdrantCacheOptions>>().Value);

        Assert.Contains("SkFallback:Cache:Qdrant:Endpoint must be scheme, host and port only", error.Message);
    }
}
