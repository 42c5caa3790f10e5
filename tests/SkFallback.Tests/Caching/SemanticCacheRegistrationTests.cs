using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SkFallback.Caching;
using SkFallback.Diagnostics;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Caching;

[Collection(nameof(SemanticCacheRegistrationTests))]
[CollectionDefinition(nameof(SemanticCacheRegistrationTests), DisableParallelization = true)]
public sealed class SemanticCacheRegistrationTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddFallbackCache_FromConfiguration_CacheSitsAboveTheChainWithTheRegisteredStoreAndGenerator()
    {
        var provider = new TestChatClient("di-primary");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SkFallback:Cache:TimeToLive"] = "00:05:00",
            ["SkFallback:Cache:SimilarityThreshold"] = "0.9",
        }).Build();
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IChatClient>("primary", provider);
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(new WordEmbeddingGenerator());
        services.AddFallbackCache(configuration.GetSection("SkFallback:Cache"));
        services.AddFallbackChatClient(o => o.Add(new ProviderOptions { Name = "primary", Kind = ProviderKinds.Custom, Model = "di-model-2024-01-01", ServiceKey = "primary" }))
            .UseFallbackCache();
        await using var sp = services.BuildServiceProvider();

        var client = sp.GetRequiredService<IChatClient>();
        var cache = client.GetService<SemanticCacheChatClient>();
        await client.GetResponseAsync("what is the boiling point of water", new ChatOptions { Temperature = 0 }, Token);
        var paraphrase = await client.GetResponseAsync("the boiling point of water is what", new ChatOptions { Temperature = 0 }, Token);

        Assert.NotNull(cache);
        Assert.Same(sp.GetRequiredService<ISemanticCacheStore>(), cache.Store);
        Assert.NotNull(client.GetService<FallbackChatClient>());
        Assert.Equal(CacheMetadataKeys.SemanticHit, paraphrase.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.Equal("primary", paraphrase.AdditionalProperties[FallbackMetadataKeys.Provider]);
        Assert.Equal(1, provider.Calls);
        Assert.Equal(TimeSpan.FromMinutes(5), sp.GetRequiredService<IOptions<SemanticCacheOptions>>().Value.TimeToLive);
    }

    [Fact]
    public async Task AddFallbackCache_InvalidConfiguration_FailsNamingTheKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Caching:SimilarityThreshold"] = "0.2",
        }).Build();
        var services = new ServiceCollection();
        services.AddFallbackCache(configuration.GetSection("Caching"));
        await using var sp = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<SemanticCacheOptions>>().Value);

        Assert.Contains("Caching:SimilarityThreshold must be between 0.5 and 1 (was 0.2)", error.Message);
    }

    [Fact]
    public async Task UseFallbackCache_WithoutRegistrations_UsesAnInProcessStoreAndTheExactLayer()
    {
        var provider = new TestChatClient("bare");
        using var client = provider.AsBuilder().UseFallbackCache(o => o.TimeToLive = TimeSpan.FromMinutes(1)).Build();

        await client.GetResponseAsync("hello", new ChatOptions { Temperature = 0 }, Token);
        var hit = await client.GetResponseAsync("hello", new ChatOptions { Temperature = 0 }, Token);

        Assert.Equal(CacheMetadataKeys.ExactHit, hit.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.IsType<InMemorySemanticCacheStore>(client.GetService<ISemanticCacheStore>());
        Assert.Equal(1, provider.Calls);
    }

    [Fact]
    public async Task Cache_RecordsHitsMissesBypassesSavedCostAndGuardRejections()
    {
        var measurements = new List<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FallbackTelemetry.SourceName && instrument.Name.StartsWith("skfallback.cache.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, map));
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        var provider = new TestChatClient("metrics")
        {
            OnResponse = (m, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok " + m.Last().Text))
            {
                FinishReason = ChatFinishReason.Stop,
                ModelId = "gpt-4o-2024-08-06",
                Usage = new UsageDetails { InputTokenCount = 2000, OutputTokenCount = 1000 },
                AdditionalProperties = new() { [FallbackMetadataKeys.Provider] = "metrics-provider", [FallbackMetadataKeys.Model] = "gpt-4o-2024-08-06" },
            }),
        };
        using var cache = new SemanticCacheChatClient(provider, new SemanticCacheOptions { SimilarityThreshold = 0.5f }, embeddingGenerator: new WordEmbeddingGenerator());
        var det = new ChatOptions { Temperature = 0 };

        await cache.GetResponseAsync("refund order 1234 now", det, Token);                  // miss
        await cache.GetResponseAsync("refund order 1234 now", det, Token);                  // exact hit
        await cache.GetResponseAsync("now refund order 1234", det, Token);                  // semantic hit
        await cache.GetResponseAsync("refund order 5678 now", det, Token);                  // guard rejects, miss
        await cache.GetResponseAsync("refund order 1234 now", new ChatOptions { Temperature = 1 }, Token); // bypass
        listener.Dispose();

        List<(string Instrument, double Value, Dictionary<string, object?> Tags)> mine;
        lock (measurements)
        {
            mine = measurements.ToList();
        }

        var hits = mine.Where(m => m.Instrument == FallbackTelemetry.CacheHitsInstrument && (string?)m.Tags[FallbackTelemetry.ProviderTag] == "metrics-provider").ToList();
        Assert.Equal(["exact", "semantic"], hits.Select(h => (string)h.Tags[FallbackTelemetry.CacheLayerTag]!).Order());
        Assert.Equal(2, mine.Count(m => m.Instrument == FallbackTelemetry.CacheMissesInstrument));
        Assert.Contains(mine, m => m.Instrument == FallbackTelemetry.CacheBypassesInstrument && (string?)m.Tags[FallbackTelemetry.ReasonTag] == "not_deterministic");
        Assert.Contains(mine, m => m.Instrument == FallbackTelemetry.CacheGuardRejectionsInstrument && (string?)m.Tags[FallbackTelemetry.ReasonTag] == "number");
        var saved = mine.Where(m => m.Instrument == FallbackTelemetry.CacheSavedCostInstrument && (string?)m.Tags[FallbackTelemetry.ProviderTag] == "metrics-provider").ToList();
        Assert.Equal(2, saved.Count);
        Assert.All(saved, s => Assert.Equal(0.015, s.Value, 6)); // 2000 × $2.50/M + 1000 × $10/M
    }
}
