using Microsoft.Extensions.AI;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests;

public class PreferProviderTests
{
    private static ChatOptions Prefer(string name) => new() { AdditionalProperties = new() { [FallbackMetadataKeys.PreferProvider] = name } };

    [Fact]
    public async Task PreferProvider_Healthy_IsTriedFirstAndHintNeverReachesProviders()
    {
        var a = new TestChatClient("a");
        var b = new TestChatClient("b");
        var c = new TestChatClient("c");
        using var client = Chain.Of(a, b, c);

        var response = await client.GetResponseAsync("hi", Prefer("b"), TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", response.Text);
        Assert.Equal(0, a.Calls);
        Assert.False(b.ReceivedOptions[0]!.AdditionalProperties!.ContainsKey(FallbackMetadataKeys.PreferProvider));
    }

    [Fact]
    public async Task PreferProvider_Fails_RestOfChainFollowsInOrder()
    {
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw Chain.Status(500) };
        var b = new TestChatClient("b") { OnResponse = (_, _, _) => throw Chain.Status(500) };
        var c = new TestChatClient("c");
        var options = Chain.Options(a, b, c);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        var response = await client.GetResponseAsync("hi", Prefer("b"), TestContext.Current.CancellationToken);

        Assert.Equal(["b", "a", "c"], Chain.AttemptsOf(response).Select(x => x.Provider));
    }

    [Fact]
    public async Task PreferProvider_Unknown_UsesChainOrder()
    {
        var a = new TestChatClient("a");
        using var client = Chain.Of(a, new TestChatClient("b"));

        var response = await client.GetResponseAsync("hi", Prefer("nobody"), TestContext.Current.CancellationToken);

        Assert.Equal("answer from a", response.Text);
    }

    [Fact]
    public async Task PreferProvider_Streaming_IsTriedFirst()
    {
        var a = new TestChatClient("a");
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync("hi", Prefer("b"), TestContext.Current.CancellationToken))
        {
            updates.Add(u);
        }

        Assert.Equal("answer from b", updates.ToChatResponse().Text);
        Assert.Equal(0, a.Calls);
    }
}
