using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback.Caching;
using SkFallback.Simulator;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>
/// The response cache above the chain of a Semantic Kernel registration, over real HTTP to the simulator: an answer one
/// provider produced serves a later request the chain would send to another, and no provider sees that request.
/// </summary>
public sealed class CacheTests
{
    private const string Question = "What is the capital of Portugal?";

    /// <summary>A paraphrase of <see cref="Question"/> that MiniLM embeds close enough for a semantic hit at the default threshold.</summary>
    private const string Paraphrase = "What's the capital city of Portugal?";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetChatMessageContentAsync_AnswerFromA_ServesSameQuestionAndParaphraseRoutedToB_NoProviderCalled()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: Token);
        var kernel = CachedKernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        var first = await chat.GetChatMessageContentAsync(Chains.Ask(Question), Deterministic(), kernel, Token);
        Assert.Equal("A", Chains.Provider(first.Metadata));
        Assert.False(first.Metadata!.ContainsKey(CacheMetadataKeys.Hit));

        // A goes down: the chain would route the next requests to B.
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.ServerError(503));
        var same = await chat.GetChatMessageContentAsync(Chains.Ask(Question), Deterministic(), kernel, Token);
        var paraphrase = await chat.GetChatMessageContentAsync(Chains.Ask(Paraphrase), Deterministic(), kernel, Token);

        Assert.Equal(simulator.ExpectedReply(Chains.ModelA, Question), first.Content);
        foreach (var served in new[] { same, paraphrase })
        {
            Assert.Equal(first.Content, served.Content);
            Assert.Equal("A", Chains.Provider(served.Metadata));
            Assert.Equal(Chains.ModelA, served.Metadata![FallbackMetadataKeys.Model]);
            Assert.Empty(Chains.Attempts(served.Metadata));
            Assert.IsType<DateTimeOffset>(served.Metadata[CacheMetadataKeys.CachedAt]);
        }

        Assert.Equal(CacheMetadataKeys.ExactHit, same.Metadata![CacheMetadataKeys.Hit]);
        Assert.Equal(CacheMetadataKeys.SemanticHit, paraphrase.Metadata![CacheMetadataKeys.Hit]);
        Assert.InRange(Assert.IsType<float>(paraphrase.Metadata[CacheMetadataKeys.Similarity]), SemanticCacheOptions.DefaultSimilarityThreshold, 1f);
        Assert.Single(simulator.RequestsFor(Chains.ModelA));
        Assert.Empty(simulator.RequestsFor(Chains.ModelB));

        // The chain really routes to B now: a question the cache has not seen goes there, and B then serves from the cache too.
        var fresh = await chat.GetChatMessageContentAsync(Chains.Ask("Name a river in Spain."), Deterministic(), kernel, Token);
        Assert.Equal("B", Chains.Provider(fresh.Metadata));
        Assert.False(fresh.Metadata!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Single(simulator.RequestsFor(Chains.ModelB));
        Assert.Single(simulator.RequestsFor(Chains.ModelA), r => r.StatusCode == 200);
    }

    [Fact]
    public async Task GetStreamingChatMessageContentsAsync_StreamedAnswerFromA_ReplaysAsStreamWhenRoutedToB()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: Token);
        var kernel = CachedKernel(simulator, WireFormat.Anthropic, WireFormat.OpenAI);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        var original = await Chains.CollectAsync(chat.GetStreamingChatMessageContentsAsync(Chains.Ask(Question), Deterministic(), kernel, Token));
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(30)));
        var replayed = await Chains.CollectAsync(chat.GetStreamingChatMessageContentsAsync(Chains.Ask(Paraphrase), Deterministic(), kernel, Token));

        Assert.Equal(simulator.ExpectedReply(Chains.ModelA, Question), Chains.Text(original));
        Assert.Equal(Chains.Text(original), Chains.Text(replayed));
        Assert.True(replayed.Count(c => !string.IsNullOrEmpty(c.Content)) > 3, "the hit arrives in several chunks");
        Assert.Equal("A", Chains.Provider(replayed[0].Metadata));
        Assert.Equal(CacheMetadataKeys.SemanticHit, replayed[0].Metadata![CacheMetadataKeys.Hit]);
        var last = Chains.LastAnnotated(replayed);
        Assert.Equal(CacheMetadataKeys.SemanticHit, last[CacheMetadataKeys.Hit]);
        Assert.Empty(Chains.Attempts(last));
        Assert.Single(simulator.RequestsFor(Chains.ModelA));
        Assert.Empty(simulator.RequestsFor(Chains.ModelB));
    }

    [Fact]
    public async Task GetChatMessageContentAsync_ToolLoop_ToolCallAnswerNotCachedFinalAnswerIs()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: Token);
        var plugin = new WeatherPlugin();
        var kernel = CachedKernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic, plugin);
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var settings = Deterministic();
        settings.FunctionChoiceBehavior = FunctionChoiceBehavior.Auto();

        simulator.Model(Chains.ModelA).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments));
        var first = await chat.GetChatMessageContentAsync(Chains.Ask(), settings, kernel, Token);
        simulator.Model(Chains.ModelA).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments));
        var second = await chat.GetChatMessageContentAsync(Chains.Ask(), settings, kernel, Token);

        // The round trip that asked for the tool went to the provider both times (tool-call answers are not cached), so the
        // tool ran once per turn and the filter saw A ask for it each time.
        Assert.Equal(2, plugin.Invocations);
        Assert.Equal(["A", "A"], kernel.Filter().Calls.Select(c => c.Provider));
        Assert.Contains("sunny in Paris", first.Content, StringComparison.Ordinal);
        Assert.False(first.Metadata!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Equal(first.Content, second.Content);
        Assert.Equal("A", Chains.Provider(second.Metadata));

        // The second turn's final round trip came from the cache: its history (question, call, result) is the first turn's,
        // call id included, because the simulator's ids are seeded; with a real provider's fresh ids it would be a miss.
        Assert.Equal(3, simulator.RequestsFor(Chains.ModelA).Count);
        Assert.Equal(CacheMetadataKeys.ExactHit, second.Metadata![CacheMetadataKeys.Hit]);
        Assert.Empty(simulator.RequestsFor(Chains.ModelB));
    }

    [Fact]
    public async Task GetChatMessageContentAsync_TemperatureNotZero_BypassesTheCache()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: Token);
        var kernel = CachedKernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic);
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var warm = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["temperature"] = 0.7 } };

        await chat.GetChatMessageContentAsync(Chains.Ask(Question), warm, kernel, Token);
        var again = await chat.GetChatMessageContentAsync(Chains.Ask(Question), warm, kernel, Token);

        Assert.False(again.Metadata!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Equal(2, simulator.RequestsFor(Chains.ModelA).Count);
    }

    [Fact]
    public async Task AddFallbackChatCompletion_WithoutUseCache_RegistersNoCacheAndCallsTheProviderEachTime()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: Token);
        var kernel = Chains.Kernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        await chat.GetChatMessageContentAsync(Chains.Ask(Question), Deterministic(), kernel, Token);
        await chat.GetChatMessageContentAsync(Chains.Ask(Question), Deterministic(), kernel, Token);

        Assert.Null(kernel.Services.GetService<SemanticCacheChatClient>());
        Assert.Equal(2, simulator.RequestsFor(Chains.ModelA).Count);
    }

    [Fact]
    public async Task AddFallbackChatCompletion_CacheSectionAndServiceId_BindsSkFallbackCacheAndRegistersTheCacheUnderTheKey()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: Token);
        var configuration = Json($$"""
            {
              "SkFallback": {
                "Providers": [
                  { "Name": "A", "Kind": "OpenAI", "Model": "{{Chains.ModelA}}", "ApiKey": "test", "Endpoint": "{{simulator.OpenAIEndpoint}}" }
                ],
                "Cache": { "SemanticEnabled": false, "TimeToLive": "00:10:00" }
              }
            }
            """);
        var builder = Kernel.CreateBuilder();
        builder.Services.AddMiniLMEmbeddingGenerator();
        builder.AddFallbackChatCompletion(configuration, serviceId: "cached", useCache: true);
        var kernel = builder.Build();
        var chat = kernel.GetRequiredService<IChatCompletionService>("cached");

        await chat.GetChatMessageContentAsync(Chains.Ask(Question), Deterministic(), kernel, Token);
        var same = await chat.GetChatMessageContentAsync(Chains.Ask(Question), Deterministic(), kernel, Token);
        var paraphrase = await chat.GetChatMessageContentAsync(Chains.Ask(Paraphrase), Deterministic(), kernel, Token);

        // The section switched the semantic layer off: the same question hits, the paraphrase goes to the provider.
        Assert.Equal(CacheMetadataKeys.ExactHit, same.Metadata![CacheMetadataKeys.Hit]);
        Assert.False(paraphrase.Metadata!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Equal(2, simulator.RequestsFor(Chains.ModelA).Count);
        Assert.NotNull(kernel.Services.GetKeyedService<SemanticCacheChatClient>("cached"));
        Assert.Equal(Chains.ModelA, chat.Attributes[Microsoft.SemanticKernel.Services.AIServiceExtensions.ModelIdKey]);
    }

    [Fact]
    public async Task Dispose_ContainerWithCache_DisposesTheCacheAndTheChainWithoutError()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: Token);
        var services = new ServiceCollection();
        services.AddFallbackChatCompletion(o => o.Add(Chains.Provider(simulator, "A", WireFormat.OpenAI, Chains.ModelA)), useCache: true);
        var provider = services.BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatCompletionService>();
        await chat.GetChatMessageContentAsync(Chains.Ask(Question), Deterministic(), cancellationToken: Token);
        var cache = provider.GetRequiredService<SemanticCacheChatClient>();
        Assert.Equal(1, await cache.Store.CountAsync(Token));

        // The cache disposes the chain below it and the container disposes the chain too: that must be harmless.
        await provider.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await cache.Store.CountAsync(Token));
    }

    public static TheoryData<string, string?, string> InvalidCacheSections => new()
    {
        { """{ "SkFallback": { "Providers": [ {P0} ], "Cache": { "SimilarityThreshold": 0.2 } } }""", null, "SkFallback:Cache:SimilarityThreshold must be between 0.5 and 1 (was 0.2)" },
        { """{ "SkFallback": { "Providers": [ {P0} ], "Cache": { "TimeToLive": "00:00:00" } } }""", null, "SkFallback:Cache:TimeToLive" },
        { """{ "Llm": { "Chat": { "Providers": [ {P0} ], "Cache": { "Namespace": "no spaces" } } } }""", "Llm:Chat", "Llm:Chat:Cache:Namespace" },
    };

    [Theory]
    [MemberData(nameof(InvalidCacheSections))]
    public void GetRequiredService_InvalidCacheSection_ThrowsNamingTheKey(string json, string? sectionPath, string expected)
    {
        var configuration = Json(json.Replace("{P0}", """{ "Name": "a", "Kind": "OpenAI", "Model": "m-2024", "ApiKey": "k" }""", StringComparison.Ordinal));
        var kernel = Kernel.CreateBuilder()
            .AddFallbackChatCompletion(sectionPath is null ? configuration : configuration.GetSection(sectionPath), useCache: true)
            .Build();

        var exception = Assert.Throws<OptionsValidationException>(() => kernel.GetRequiredService<IChatCompletionService>());

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HostWithInvalidCacheInCode_FailsAtStartNamingTheKey()
    {
        var services = new ServiceCollection();
        services.AddFallbackChatCompletion(
            o => o.Add(new ProviderOptions { Name = "a", Kind = ProviderKinds.OpenAI, Model = "m-2024", ApiKey = "k" }),
            configureCache: c => c.MaxCandidates = 0);
        using var provider = services.BuildServiceProvider();

        // What a host's ValidateOnStart runs.
        var exception = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IStartupValidator>().Validate);

        Assert.Contains("SkFallback:Cache:MaxCandidates must be between 1 and 64 (was 0)", exception.Message, StringComparison.Ordinal);
    }

    /// <summary>Temperature 0: a deterministic request, so both cache layers apply.</summary>
    private static PromptExecutionSettings Deterministic() =>
        new() { ExtensionData = new Dictionary<string, object> { ["temperature"] = 0 } };

    /// <summary>A kernel whose chat service is A then B under the response cache, with the local MiniLM embeddings registered.</summary>
    private static Kernel CachedKernel(ProviderSimulator simulator, WireFormat wireA, WireFormat wireB, WeatherPlugin? plugin = null)
    {
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton(MiniLM.Shared);
        builder.AddFallbackChatCompletion(
            options =>
            {
                Chains.Fast(options);
                options.MaxRetriesPerProvider = 0;
                options.Add(Chains.Provider(simulator, "A", wireA, Chains.ModelA));
                options.Add(Chains.Provider(simulator, "B", wireB, Chains.ModelB));
            },
            useCache: true);
        builder.Plugins.AddFromObject(plugin ?? new WeatherPlugin(), Chains.PluginName);
        return builder.Build();
    }

    private static IConfigurationRoot Json(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
}
