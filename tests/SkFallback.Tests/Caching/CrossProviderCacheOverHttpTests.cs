using Microsoft.Extensions.AI;
using SkFallback.Caching;
using SkFallback.Simulator;
using SkFallback.Tests.Wire;

namespace SkFallback.Tests.Caching;

/// <summary>
/// The cache above a real fallback chain whose providers are the OpenAI and Anthropic SDKs over HTTP to the simulator:
/// an answer provider A produced serves a later request that would be routed to provider B, and B never sees it.
/// </summary>
public class CrossProviderCacheOverHttpTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _fixture;

    public CrossProviderCacheOverHttpTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnswerFromA_ServesRequestRoutedToB_BNeverCalled()
    {
        var sim = _fixture.Simulator;
        const string a = "cache-a-gpt-2024-01-01";
        const string b = "cache-b-claude-2024-01-01";
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.Add(_fixture.Provider("openai-a", a, WireFormat.OpenAI));
        options.Add(_fixture.Provider("anthropic-b", b, WireFormat.Anthropic));
        using var chain = new FallbackChatClient(options);
        using var client = new SemanticCacheChatClient(chain, new SemanticCacheOptions(), embeddingGenerator: new WordEmbeddingGenerator());
        var deterministic = new ChatOptions { Temperature = 0 };
        const string question = "What is the capital of France?";

        var first = await client.GetResponseAsync(question, deterministic, Token);
        Assert.Equal("openai-a", first.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Equal(sim.ExpectedReply(a, question), first.Text);

        // A goes down: the chain would now route to B. Ask again, plainly, streaming, by paraphrase, and preferring B outright.
        sim.Model(a).Always(SimulatedBehavior.ServerError(503));
        var plain = await client.GetResponseAsync(question, deterministic, Token);
        var streamed = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(question, deterministic, Token))
        {
            streamed.Add(update);
        }

        var paraphrase = await client.GetResponseAsync("The capital of France is what?", deterministic, Token);
        var preferB = await client.GetResponseAsync(question, new ChatOptions { Temperature = 0, AdditionalProperties = new() { [FallbackMetadataKeys.PreferProvider] = "anthropic-b" } }, Token);

        foreach (var (served, name) in new[] { (plain, "plain"), (streamed.ToChatResponse(), "streamed"), (paraphrase, "paraphrase"), (preferB, "preferB") })
        {
            Assert.True(first.Text == served.Text, $"{name}: {served.Text}");
            Assert.Equal("openai-a", served.AdditionalProperties![FallbackMetadataKeys.Provider]);
            Assert.Equal(a, served.AdditionalProperties[FallbackMetadataKeys.Model]);
            Assert.NotNull(served.AdditionalProperties[CacheMetadataKeys.Hit]);
        }

        Assert.Equal(CacheMetadataKeys.SemanticHit, paraphrase.AdditionalProperties![CacheMetadataKeys.Hit]);
        Assert.True(streamed.Count > 3);
        Assert.Single(sim.RequestsFor(a));
        Assert.Empty(sim.RequestsFor(b));

        // The chain really routes to B now: a question the cache has not seen goes there.
        var fresh = await client.GetResponseAsync("What is the capital of Spain?", deterministic, Token);
        Assert.Equal("anthropic-b", fresh.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Single(sim.RequestsFor(b));
        Assert.False(fresh.AdditionalProperties.ContainsKey(CacheMetadataKeys.Hit));
    }

    [Fact]
    public async Task AnswerFromB_ServesAnotherChainWhosePrimaryIsA_SharedStore()
    {
        var sim = _fixture.Simulator;
        const string a = "shared-a-gpt-2024-01-01";
        const string b = "shared-b-claude-2024-01-01";
        using var store = new InMemorySemanticCacheStore();

        var onlyB = new FallbackOptions();
        onlyB.Add(_fixture.Provider("anthropic-b", b, WireFormat.Anthropic));
        using var chainB = new FallbackChatClient(onlyB);
        using var replica1 = new SemanticCacheChatClient(chainB, store: store);

        var onlyA = new FallbackOptions();
        onlyA.Add(_fixture.Provider("openai-a", a, WireFormat.OpenAI));
        using var chainA = new FallbackChatClient(onlyA);
        using var replica2 = new SemanticCacheChatClient(chainA, store: store);
        var deterministic = new ChatOptions { Temperature = 0, MaxOutputTokens = 200 };

        var fromB = await replica1.GetResponseAsync("Name the largest planet.", deterministic, Token);
        var servedToA = await replica2.GetResponseAsync("Name the largest planet.", deterministic, Token);

        Assert.Equal(sim.ExpectedReply(b, "Name the largest planet."), servedToA.Text);
        Assert.Equal("anthropic-b", servedToA.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Equal(fromB.Text, servedToA.Text);
        Assert.Empty(sim.RequestsFor(a));
        Assert.Single(sim.RequestsFor(b));
    }
}
