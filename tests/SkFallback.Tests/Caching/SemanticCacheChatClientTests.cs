using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Caching;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Caching;

public sealed class SemanticCacheChatClientTests
{
    private const string Model = "gpt-4o-mini-2024-07-18";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly WordEmbeddingGenerator _generator = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static ChatOptions Deterministic(Action<ChatOptions>? configure = null)
    {
        var options = new ChatOptions { Temperature = 0 };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A provider whose answers say which call produced them and carry the metadata a fallback chain adds.</summary>
    private static TestChatClient Provider(string name = "provider-a", ChatFinishReason? finish = null, Func<int, ChatResponse>? answer = null)
    {
        var calls = 0;
        var client = new TestChatClient(name);
        client.OnResponse = (messages, _, _) =>
        {
            var n = Interlocked.Increment(ref calls);
            var response = answer?.Invoke(n) ?? new ChatResponse(new ChatMessage(ChatRole.Assistant, $"answer {n} from {name} to: {messages.Last().Text}"))
            {
                FinishReason = finish ?? ChatFinishReason.Stop,
                ModelId = Model,
                Usage = new UsageDetails { InputTokenCount = 1000, OutputTokenCount = 500 },
            };
            response.AdditionalProperties ??= [];
            response.AdditionalProperties[FallbackMetadataKeys.Provider] = name;
            response.AdditionalProperties[FallbackMetadataKeys.Model] = Model;
            return Task.FromResult(response);
        };
        client.OnStreaming = (messages, options, ct) => Stream(client.OnResponse!(messages, options, ct), ct);
        return client;
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Stream(Task<ChatResponse> response, [EnumeratorCancellation] CancellationToken ct)
    {
        var r = await response;
        var words = r.Text.Split(' ');
        yield return new ChatResponseUpdate(ChatRole.Assistant, words[0]) { AdditionalProperties = r.AdditionalProperties, ModelId = r.ModelId };
        for (var i = 1; i < words.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, " " + words[i]);
        }

        yield return new ChatResponseUpdate { FinishReason = r.FinishReason, Contents = [new UsageContent(r.Usage!)], AdditionalProperties = r.AdditionalProperties };
    }

    private SemanticCacheChatClient Cache(IChatClient inner, Action<SemanticCacheOptions>? configure = null, ISemanticCacheStore? store = null, ILoggerFactory? logs = null, bool semantic = true)
    {
        var options = new SemanticCacheOptions();
        configure?.Invoke(options);
        return new SemanticCacheChatClient(inner, options, store, semantic ? _generator : null, logs, _time);
    }

    [Fact]
    public async Task GetResponse_IdenticalDeterministicRequest_ServedFromExactLayerWithOriginalProvider()
    {
        var provider = Provider();
        using var cache = Cache(provider);

        var first = await cache.GetResponseAsync("What is the capital of France?", Deterministic(), Token);
        _time.Advance(TimeSpan.FromMinutes(3));
        var second = await cache.GetResponseAsync("What is the capital of France?", Deterministic(), Token);

        Assert.Equal(1, provider.Calls);
        Assert.Equal(first.Text, second.Text);
        Assert.False(first.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        var metadata = second.AdditionalProperties!;
        Assert.Equal(CacheMetadataKeys.ExactHit, metadata[CacheMetadataKeys.Hit]);
        Assert.Equal("provider-a", metadata[FallbackMetadataKeys.Provider]);
        Assert.Equal(Model, metadata[FallbackMetadataKeys.Model]);
        Assert.Empty((IReadOnlyList<FallbackAttempt>)metadata[FallbackMetadataKeys.Attempts]!);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromMinutes(3), metadata[CacheMetadataKeys.CachedAt]);
        Assert.Equal(0.00045m, metadata[CacheMetadataKeys.SavedCostUsd]); // 1000 × $0.15/M + 500 × $0.60/M
        Assert.Null(second.Usage);
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
    }

    [Fact]
    public async Task GetResponse_Hit_ReturnsAFreshCopyEachTime()
    {
        var provider = Provider();
        using var cache = Cache(provider);
        await cache.GetResponseAsync("Tell me a fact about owls.", Deterministic(), Token);

        var hit = await cache.GetResponseAsync("Tell me a fact about owls.", Deterministic(), Token);
        hit.Messages[0].Contents.Clear();
        var again = await cache.GetResponseAsync("Tell me a fact about owls.", Deterministic(), Token);

        Assert.StartsWith("answer 1 from provider-a", again.Text);
    }

    [Fact]
    public async Task GetResponse_OtherModelRequested_StillServedAcrossProviders()
    {
        var provider = Provider();
        using var cache = Cache(provider);
        await cache.GetResponseAsync("Summarise the plot of Hamlet.", Deterministic(o => o.ModelId = "gpt-4o-2024-08-06"), Token);

        var hit = await cache.GetResponseAsync("Summarise the plot of Hamlet.", Deterministic(o => o.ModelId = "claude-haiku-4-5-20251001"), Token);

        Assert.Equal(1, provider.Calls);
        Assert.Equal(CacheMetadataKeys.ExactHit, hit.AdditionalProperties![CacheMetadataKeys.Hit]);
    }

    [Fact]
    public async Task GetResponse_Paraphrase_ServedFromSemanticLayerWithSimilarity()
    {
        var provider = Provider();
        using var cache = Cache(provider);
        var first = await cache.GetResponseAsync("what is the weather in Paris today", Deterministic(), Token);

        var hit = await cache.GetResponseAsync("today what is the weather in Paris", Deterministic(), Token);

        Assert.Equal(1, provider.Calls);
        Assert.Equal(first.Text, hit.Text);
        Assert.Equal(CacheMetadataKeys.SemanticHit, hit.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.True((float)hit.AdditionalProperties[CacheMetadataKeys.Similarity]! > 0.99f);
    }

    [Theory]
    [InlineData("Refund order 1234 please", "Refund order 5678 please")]
    [InlineData("Refund order 1234 please", "Refund order one please")]
    [InlineData("Translate \"good morning\" to French", "Translate \"good night\" to French")]
    [InlineData("What is the weather in Paris today", "What is the weather in Rome today")]
    [InlineData("Show orders that shipped to Acme", "Show orders that shipped to Globex")]
    [InlineData("List the files that are encrypted", "List the files that are not encrypted")]
    [InlineData("Sort the invoices in ascending order", "Sort the invoices in descending order")]
    public async Task GetResponse_NearMatchWithOtherSpecifics_GuardRejects(string cached, string request)
    {
        var provider = Provider();
        using var cache = Cache(provider, o => o.SimilarityThreshold = 0.5f);
        await cache.GetResponseAsync(cached, Deterministic(), Token);

        var response = await cache.GetResponseAsync(request, Deterministic(), Token);

        Assert.Equal(2, provider.Calls);
        Assert.False(response.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Contains(request, response.Text);
    }

    [Fact]
    public async Task GetResponse_GuardOff_ServesTheNearMatch()
    {
        var provider = Provider();
        using var cache = Cache(provider, o => o.Guard = false);
        await cache.GetResponseAsync("Refund order 1234 please", Deterministic(), Token);

        var response = await cache.GetResponseAsync("Refund order 5678 please", Deterministic(), Token);

        Assert.Equal(1, provider.Calls);
        Assert.Equal(CacheMetadataKeys.SemanticHit, response.AdditionalProperties![CacheMetadataKeys.Hit]);
    }

    [Fact]
    public async Task GetResponse_OtherTenant_NeverServedEitherLayer()
    {
        var provider = Provider();
        using var cache = Cache(provider);
        ChatOptions For(string tenant) => Deterministic(o => o.AdditionalProperties = new() { [CacheMetadataKeys.Tenant] = tenant });
        await cache.GetResponseAsync("what is our refund policy", For("acme"), Token);

        var globexExact = await cache.GetResponseAsync("what is our refund policy", For("globex"), Token);
        var globexParaphrase = await cache.GetResponseAsync("our refund policy is what", For("globex"), Token);
        var noTenant = await cache.GetResponseAsync("what is our refund policy", Deterministic(), Token);
        var acmeParaphrase = await cache.GetResponseAsync("our refund policy is what", For("acme"), Token);

        Assert.Equal(3, provider.Calls);
        Assert.StartsWith("answer 2", globexExact.Text);
        Assert.Equal(CacheMetadataKeys.SemanticHit, globexParaphrase.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.StartsWith("answer 2", globexParaphrase.Text); // globex's own answer, not acme's
        Assert.StartsWith("answer 3", noTenant.Text);
        Assert.StartsWith("answer 1", acmeParaphrase.Text);
    }

    [Fact]
    public async Task GetResponse_AfterTimeToLive_GoesToTheProviderAgain()
    {
        var provider = Provider();
        using var cache = Cache(provider, o => o.TimeToLive = TimeSpan.FromMinutes(10));
        await cache.GetResponseAsync("What is the capital of Peru?", Deterministic(), Token);

        _time.Advance(TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(59));
        var fresh = await cache.GetResponseAsync("What is the capital of Peru?", Deterministic(), Token);
        _time.Advance(TimeSpan.FromSeconds(1));
        var expired = await cache.GetResponseAsync("What is the capital of Peru?", Deterministic(), Token);
        var paraphraseAfter = await cache.GetResponseAsync("the capital of Peru is what?", Deterministic(), Token);

        Assert.Equal(CacheMetadataKeys.ExactHit, fresh.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.False(expired.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.StartsWith("answer 2", expired.Text);
        Assert.Equal(CacheMetadataKeys.SemanticHit, paraphraseAfter.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.StartsWith("answer 2", paraphraseAfter.Text);
        Assert.Equal(2, provider.Calls);
    }

    [Fact]
    public async Task GetResponse_ExpiredEntries_AreSweptFromTheStore()
    {
        var provider = Provider();
        using var store = new InMemorySemanticCacheStore();
        using var cache = Cache(provider, o => o.TimeToLive = TimeSpan.FromMinutes(1), store);
        await cache.GetResponseAsync("first question", Deterministic(), Token);
        await cache.GetResponseAsync("second question", Deterministic(), Token);
        Assert.Equal(2, await store.CountAsync(Token));

        _time.Advance(TimeSpan.FromMinutes(2));
        await cache.GetResponseAsync("third question", Deterministic(), Token);

        Assert.Equal(1, await store.CountAsync(Token));
    }

    [Fact]
    public async Task GetResponse_BeyondMaxEntries_EvictsAndStaysBounded()
    {
        var provider = Provider();
        using var cache = Cache(provider, o => o.MaxEntries = 2, semantic: false);
        await cache.GetResponseAsync("question one", Deterministic(), Token);
        await cache.GetResponseAsync("question two", Deterministic(), Token);
        await cache.GetResponseAsync("question three", Deterministic(), Token);

        Assert.Equal(2, await cache.Store.CountAsync(Token));
        var three = await cache.GetResponseAsync("question three", Deterministic(), Token);
        var one = await cache.GetResponseAsync("question one", Deterministic(), Token);

        Assert.Equal(CacheMetadataKeys.ExactHit, three.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.False(one.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Equal(4, provider.Calls);
    }

    [Fact]
    public async Task GetResponse_NonDeterministic_BypassesTheCacheByDefault()
    {
        var provider = Provider();
        using var cache = Cache(provider);
        var warm = new ChatOptions { Temperature = 0.7f };
        await cache.GetResponseAsync("write a haiku about rain", warm, Token);
        var again = await cache.GetResponseAsync("write a haiku about rain", warm, Token);
        var unset = await cache.GetResponseAsync("write a haiku about rain", cancellationToken: Token);

        Assert.Equal(3, provider.Calls);
        Assert.False(again.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.False(unset.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Equal(0, _generator.Calls);
        Assert.Equal(0, await cache.Store.CountAsync(Token));
    }

    [Fact]
    public async Task GetResponse_NonDeterministicWithExactLayerOn_BypassesOnlyTheSemanticLayer()
    {
        var provider = Provider();
        using var cache = Cache(provider, o => o.CacheNonDeterministic = true);
        var warm = new ChatOptions { Temperature = 0.7f };
        await cache.GetResponseAsync("write a haiku about rain", warm, Token);

        var identical = await cache.GetResponseAsync("write a haiku about rain", warm, Token);
        var paraphrase = await cache.GetResponseAsync("about rain write a haiku", warm, Token);

        Assert.Equal(CacheMetadataKeys.ExactHit, identical.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.False(paraphrase.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Equal(2, provider.Calls);
        Assert.Equal(0, _generator.Calls);
    }

    [Fact]
    public async Task GetResponse_DeterministicOptIn_UsesBothLayersAtAnyTemperature()
    {
        var provider = Provider();
        using var cache = Cache(provider);
        var optedIn = new ChatOptions { Temperature = 0.7f, AdditionalProperties = new() { [CacheMetadataKeys.Deterministic] = true } };
        await cache.GetResponseAsync("write a haiku about rain", optedIn, Token);

        var paraphrase = await cache.GetResponseAsync("about rain write a haiku", optedIn, Token);

        Assert.Equal(CacheMetadataKeys.SemanticHit, paraphrase.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.Equal(1, provider.Calls);
    }

    [Fact]
    public async Task GetResponse_BypassKey_SkipsLookupAndStorage()
    {
        var provider = Provider();
        using var cache = Cache(provider);
        await cache.GetResponseAsync("what time zone is Tokyo in", Deterministic(), Token);

        var bypassed = await cache.GetResponseAsync("what time zone is Tokyo in", Deterministic(o => o.AdditionalProperties = new() { [CacheMetadataKeys.Bypass] = true }), Token);

        Assert.False(bypassed.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Equal(2, provider.Calls);
    }

    [Fact]
    public async Task GetResponse_ToolCallAnswer_NotCachedByDefault()
    {
        var provider = Provider(answer: n => new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-" + n, "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]))
        {
            FinishReason = ChatFinishReason.ToolCalls,
        });
        using var cache = Cache(provider);
        await cache.GetResponseAsync("weather in Oslo?", Deterministic(), Token);

        var again = await cache.GetResponseAsync("weather in Oslo?", Deterministic(), Token);

        Assert.Equal(2, provider.Calls);
        Assert.Equal("call-2", Assert.IsType<FunctionCallContent>(again.Messages[0].Contents[0]).CallId);
        Assert.Equal(0, await cache.Store.CountAsync(Token));
    }

    [Fact]
    public async Task GetResponse_ToolCallAnswerOptedIn_ServedWithTheCall()
    {
        var provider = Provider(answer: n => new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-" + n, "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]))
        {
            FinishReason = ChatFinishReason.ToolCalls,
        });
        using var cache = Cache(provider, o => o.CacheToolCalls = true);
        await cache.GetResponseAsync("weather in Oslo?", Deterministic(), Token);

        var again = await cache.GetResponseAsync("weather in Oslo?", Deterministic(), Token);

        Assert.Equal(1, provider.Calls);
        var call = Assert.IsType<FunctionCallContent>(again.Messages[0].Contents[0]);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("call-1", call.CallId);
    }

    public static TheoryData<string, ChatFinishReason?> Uncacheable() => new()
    {
        { "cut off by the output lim", ChatFinishReason.Length },
        { "[filtered]", ChatFinishReason.ContentFilter },
        { "I'm sorry, but I can't help with that request.", ChatFinishReason.Stop },
        { "an answer that never said how it ended", null },
        { "   ", ChatFinishReason.Stop },
    };

    [Theory]
    [MemberData(nameof(Uncacheable))]
    public async Task GetResponse_TruncatedRefusedOrEmptyAnswer_NotCached(string text, ChatFinishReason? finish)
    {
        var provider = Provider(answer: _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = finish });
        using var cache = Cache(provider);

        await cache.GetResponseAsync("tell me about the moon", Deterministic(), Token);
        await cache.GetResponseAsync("tell me about the moon", Deterministic(), Token);

        Assert.Equal(2, provider.Calls);
        Assert.Equal(0, await cache.Store.CountAsync(Token));
    }

    [Fact]
    public async Task GetResponse_TruncatedAnswerOptedIn_IsCached()
    {
        var provider = Provider(answer: _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "cut off by the output lim")) { FinishReason = ChatFinishReason.Length });
        using var cache = Cache(provider, o => o.CacheTruncated = true);

        await cache.GetResponseAsync("tell me about the moon", Deterministic(), Token);
        var again = await cache.GetResponseAsync("tell me about the moon", Deterministic(), Token);

        Assert.Equal(1, provider.Calls);
        Assert.Equal(ChatFinishReason.Length, again.FinishReason);
    }

    [Fact]
    public async Task GetResponse_ProviderError_NothingCachedAndErrorReachesCaller()
    {
        var provider = new TestChatClient { OnResponse = (_, _, _) => throw new InvalidOperationException("every provider failed") };
        using var cache = Cache(provider);

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetResponseAsync("hello there", Deterministic(), Token));

        Assert.Equal(0, await cache.Store.CountAsync(Token));
    }

    public static TheoryData<string> RequestVariations() =>
    [
        "system", "instructions", "tools", "tool-schema", "tool-choice", "format", "temperature", "top_p", "seed", "max_tokens", "stop", "history",
    ];

    [Theory]
    [MemberData(nameof(RequestVariations))]
    public async Task GetResponse_RequestDiffersOutsideTheLastTurn_NeitherLayerServes(string variation)
    {
        var provider = Provider();
        using var cache = Cache(provider);
        var question = "what is the weather in Paris today";
        await cache.GetResponseAsync(Messages(question, null), Options(null), Token);

        var response = await cache.GetResponseAsync(Messages(question, variation), Options(variation), Token);
        var paraphrase = await cache.GetResponseAsync(Messages("today what is the weather in Paris", variation), Options(variation), Token);

        Assert.False(response.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.StartsWith("answer 2", response.Text);
        Assert.StartsWith("answer 2", paraphrase.Text); // the varied request's own answer serves its paraphrase
        Assert.Equal(2, provider.Calls);

        static List<ChatMessage> Messages(string question, string? variation)
        {
            var list = new List<ChatMessage> { new(ChatRole.System, variation == "system" ? "You are a pirate." : "You are a helpful assistant.") };
            if (variation == "history")
            {
                list.Add(new ChatMessage(ChatRole.User, "I am planning a trip."));
                list.Add(new ChatMessage(ChatRole.Assistant, "Where to?"));
            }

            list.Add(new ChatMessage(ChatRole.User, question));
            return list;
        }

        static ChatOptions Options(string? variation)
        {
            var weather = AIFunctionFactory.Create((string city) => "sunny", "get_weather", "Gets the weather for a city.");
            var weatherWithUnits = AIFunctionFactory.Create((string city, string units) => "sunny", "get_weather", "Gets the weather for a city.");
            return new ChatOptions
            {
                Temperature = variation == "temperature" ? 0.0001f : 0,
                Instructions = variation == "instructions" ? "Answer in French." : null,
                Tools = variation switch
                {
                    "tools" => [weather, AIFunctionFactory.Create((string from, string to) => 1.1, "convert_currency")],
                    "tool-schema" => [weatherWithUnits],
                    _ => [weather],
                },
                ToolMode = variation == "tool-choice" ? ChatToolMode.RequireAny : null,
                ResponseFormat = variation == "format" ? ChatResponseFormat.Json : null,
                TopP = variation == "top_p" ? 0.5f : null,
                Seed = variation == "seed" ? 42 : null,
                MaxOutputTokens = variation == "max_tokens" ? 100 : null,
                StopSequences = variation == "stop" ? ["\n\n"] : null,
                AdditionalProperties = variation == "temperature" ? new() { [CacheMetadataKeys.Deterministic] = true } : null,
            };
        }
    }

    [Fact]
    public async Task GetResponse_MinQualityTier_AnswerOfLowerTierModelNotServed()
    {
        var provider = Provider(); // gpt-4o-mini: tier 2 in the catalog
        using var cache = Cache(provider);
        await cache.GetResponseAsync("explain photosynthesis", Deterministic(), Token);

        var tier3 = await cache.GetResponseAsync("explain photosynthesis", Deterministic(o => o.AdditionalProperties = new() { [CacheMetadataKeys.MinQualityTier] = 3 }), Token);
        var tier2 = await cache.GetResponseAsync("explain photosynthesis", Deterministic(o => o.AdditionalProperties = new() { [CacheMetadataKeys.MinQualityTier] = 2 }), Token);

        Assert.False(tier3.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
        Assert.Equal(CacheMetadataKeys.ExactHit, tier2.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.Equal(2, provider.Calls);
    }

    [Fact]
    public async Task GetResponse_BadQualityTierValue_ThrowsNamingTheKey()
    {
        using var cache = Cache(Provider());

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            cache.GetResponseAsync("hi", Deterministic(o => o.AdditionalProperties = new() { [CacheMetadataKeys.MinQualityTier] = 9 }), Token));

        Assert.Contains(CacheMetadataKeys.MinQualityTier, error.Message);
        Assert.Contains("9", error.Message);
    }

    [Fact]
    public async Task GetStreamingResponse_Miss_StreamsThroughAndCachesTheWholeAnswer()
    {
        var provider = Provider();
        using var cache = Cache(provider);

        var updates = await Collect(cache.GetStreamingResponseAsync("name three primary colours", Deterministic(), Token));
        var hit = await cache.GetResponseAsync("name three primary colours", Deterministic(), Token);

        Assert.True(updates.Count > 3);
        Assert.Equal(updates.ToChatResponse().Text, hit.Text);
        Assert.Equal(CacheMetadataKeys.ExactHit, hit.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.Equal("provider-a", hit.AdditionalProperties[FallbackMetadataKeys.Provider]);
        Assert.Equal(1, provider.Calls);
    }

    [Fact]
    public async Task GetStreamingResponse_Hit_ReplaysAsAStreamOfUpdates()
    {
        var provider = Provider();
        using var cache = Cache(provider);
        var original = await cache.GetResponseAsync("describe the water cycle in a few words", Deterministic(), Token);

        var updates = await Collect(cache.GetStreamingResponseAsync("describe the water cycle in a few words", Deterministic(), Token));

        Assert.Equal(1, provider.Calls);
        Assert.True(updates.Count >= 4, $"{updates.Count} updates");
        Assert.Equal(original.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(CacheMetadataKeys.ExactHit, updates[0].AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.Equal("provider-a", updates[^1].AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        var whole = updates.ToChatResponse();
        Assert.Equal(original.Text, whole.Text);
        Assert.Equal(CacheMetadataKeys.ExactHit, whole.AdditionalProperties![CacheMetadataKeys.Hit]);
    }

    [Fact]
    public async Task GetStreamingResponse_NonDeterministic_PassesThroughUnchanged()
    {
        var provider = Provider();
        using var cache = Cache(provider);

        var first = await Collect(cache.GetStreamingResponseAsync("hello", new ChatOptions { Temperature = 1 }, Token));
        var second = await Collect(cache.GetStreamingResponseAsync("hello", new ChatOptions { Temperature = 1 }, Token));

        Assert.Equal(2, provider.Calls);
        Assert.NotEqual(first.ToChatResponse().Text, second.ToChatResponse().Text);
    }

    [Fact]
    public async Task GetResponse_StoreDown_CallsSucceedWithOneWarningPerOutage()
    {
        var provider = Provider();
        var store = new FailingStore();
        var logs = new ListLoggerFactory();
        using var cache = Cache(provider, store: store, logs: logs);

        var first = await cache.GetResponseAsync("what is the tallest mountain", Deterministic(), Token);
        var streamed = await Collect(cache.GetStreamingResponseAsync("what is the tallest mountain", Deterministic(), Token));

        Assert.StartsWith("answer 1", first.Text);
        Assert.StartsWith("answer 2", streamed.ToChatResponse().Text);
        Assert.Equal(2, provider.Calls);
        Assert.True(store.Calls >= 2);
        var warning = Assert.Single(logs.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains("HttpRequestException", warning.Message);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Debug && l.Message.Contains("still cannot", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetResponse_EmbeddingGeneratorFails_CallSucceedsWithoutTheCache()
    {
        var provider = Provider();
        _generator.Failure = new InvalidOperationException("model not loaded");
        var logs = new ListLoggerFactory();
        using var cache = Cache(provider, logs: logs);

        var response = await cache.GetResponseAsync("what is the tallest mountain", Deterministic(), Token);

        Assert.StartsWith("answer 1", response.Text);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("model not loaded"));
    }

    [Fact]
    public async Task GetResponse_CallerCancels_CancellationIsNotSwallowed()
    {
        var provider = Provider();
        using var cache = Cache(provider);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetResponseAsync("hello", Deterministic(), cts.Token));
    }

    [Fact]
    public async Task GetResponse_WithoutEmbeddingGenerator_ExactLayerOnly()
    {
        var provider = Provider();
        using var cache = Cache(provider, semantic: false);
        await cache.GetResponseAsync("what is the weather in Paris today", Deterministic(), Token);

        var exact = await cache.GetResponseAsync("what is the weather in Paris today", Deterministic(), Token);
        var paraphrase = await cache.GetResponseAsync("today what is the weather in Paris", Deterministic(), Token);

        Assert.Equal(CacheMetadataKeys.ExactHit, exact.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.False(paraphrase.AdditionalProperties!.ContainsKey(CacheMetadataKeys.Hit));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingEachKey()
    {
        var options = new SemanticCacheOptions { SimilarityThreshold = 1.5f, TimeToLive = TimeSpan.Zero, MaxEntries = 0, MaxCandidates = 100, Namespace = "a b", MinQualityTier = 7 };

        var error = Assert.Throws<OptionsValidationException>(() => new SemanticCacheChatClient(new TestChatClient(), options));

        Assert.Contains("SkFallback:Cache:SimilarityThreshold must be between 0.5 and 1 (was 1.5)", error.Message);
        Assert.Contains("SkFallback:Cache:TimeToLive", error.Message);
        Assert.Contains("SkFallback:Cache:MaxEntries", error.Message);
        Assert.Contains("SkFallback:Cache:MaxCandidates", error.Message);
        Assert.Contains("SkFallback:Cache:Namespace", error.Message);
        Assert.Contains("SkFallback:Cache:MinQualityTier", error.Message);
        Assert.Equal(6, error.Failures.Count());
    }

    private static async Task<List<ChatResponseUpdate>> Collect(IAsyncEnumerable<ChatResponseUpdate> stream)
    {
        var list = new List<ChatResponseUpdate>();
        await foreach (var update in stream)
        {
            list.Add(update);
        }

        return list;
    }
}
