using Microsoft.Extensions.AI;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests;

public class FallbackStreamingTests
{
    private static async Task<List<ChatResponseUpdate>> Collect(IChatClient client, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("hi", cancellationToken: cancellationToken))
        {
            updates.Add(update);
        }

        return updates;
    }

    private static IReadOnlyList<FallbackAttempt> Attempts(List<ChatResponseUpdate> updates) =>
        (IReadOnlyList<FallbackAttempt>)updates.ToChatResponse().AdditionalProperties![FallbackMetadataKeys.Attempts]!;

    [Fact]
    public async Task Stream_PrimaryHealthy_PassesEveryUpdateThroughAndEndsWithMetadata()
    {
        var a = new TestChatClient("a");
        using var client = Chain.Of(a, new TestChatClient("b"));

        var updates = await Collect(client, TestContext.Current.CancellationToken);
        var response = updates.ToChatResponse();

        Assert.Equal("answer from a", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("a", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Single(Attempts(updates));
    }

    [Fact]
    public async Task Stream_FailsBeforeFirstToken_SwitchesTransparently()
    {
        var a = new TestChatClient("a") { OnStreaming = (_, _, _) => TestChatClient.Fail(new HttpIOException(HttpRequestError.ResponseEnded)) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        var updates = await Collect(client, TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", updates.ToChatResponse().Text);
        Assert.Equal(FailureKind.ConnectionFailure, Attempts(updates)[0].Outcome);
    }

    [Fact]
    public async Task Stream_EndsWithoutFinishReason_IsTruncatedAndFallsBack()
    {
        var a = new TestChatClient("a") { OnStreaming = (_, _, ct) => TestChatClient.Words(ct, ["short"], finish: false) };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var updates = await Collect(client, TestContext.Current.CancellationToken);

        // "short" is shorter than the refusal probe, so nothing from a reached the caller.
        Assert.Equal("answer from b", updates.ToChatResponse().Text);
        Assert.Equal(FailureKind.TruncatedStream, Attempts(updates)[0].Outcome);
    }

    [Fact]
    public async Task Stream_TruncatedAfterOutput_ContinuationOff_ThrowsWithOutputCommitted()
    {
        var words = "one two three four five six seven eight nine ten eleven twelve thirteen".Split(' ');
        var a = new TestChatClient("a") { OnStreaming = (_, _, ct) => TestChatClient.Words(ct, words, finish: false) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.Streaming.ContinueAfterCommit = false;
        using var client = new FallbackChatClient(options);

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(() => Collect(client, TestContext.Current.CancellationToken));

        Assert.True(exception.OutputCommitted);
        Assert.Equal(FailureKind.TruncatedStream, exception.Attempts[^1].Outcome);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task Stream_ContentFilterBeforeContent_FallsBack()
    {
        var a = new TestChatClient("a") { OnStreaming = (_, _, ct) => TestChatClient.Words(ct, [], finishReason: ChatFinishReason.ContentFilter) };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var updates = await Collect(client, TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", updates.ToChatResponse().Text);
        Assert.Equal(FailureKind.Refusal, Attempts(updates)[0].Outcome);
    }

    [Fact]
    public async Task Stream_RefusalText_IsHeldBackAndFallsBack()
    {
        var a = new TestChatClient("a")
        {
            OnStreaming = (_, _, ct) => TestChatClient.Words(ct, "I'm sorry, but I can't help with that request today.".Split(' ')),
        };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var updates = await Collect(client, TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", updates.ToChatResponse().Text);
        Assert.DoesNotContain(updates, u => u.Text.Contains("sorry", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_RefusalErrorContent_FallsBack()
    {
        static async IAsyncEnumerable<ChatResponseUpdate> Refuse()
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new ErrorContent("no") { ErrorCode = "Refusal" }]) { FinishReason = ChatFinishReason.Stop };
        }

        var a = new TestChatClient("a") { OnStreaming = (_, _, _) => Refuse() };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var updates = await Collect(client, TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", updates.ToChatResponse().Text);
    }

    [Fact]
    public async Task Stream_ToolCall_CommitsAtOnce()
    {
        static async IAsyncEnumerable<ChatResponseUpdate> Call()
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("c1", "lookup", new Dictionary<string, object?> { ["q"] = "x" })]);
            yield return new ChatResponseUpdate { FinishReason = ChatFinishReason.ToolCalls };
        }

        var a = new TestChatClient("a") { OnStreaming = (_, _, _) => Call() };
        using var client = Chain.Of(a, new TestChatClient("b"));

        var updates = await Collect(client, TestContext.Current.CancellationToken);
        var response = updates.ToChatResponse();

        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("a", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
    }

    [Fact]
    public async Task Stream_MidStreamDropAfterOutput_ContinuationOff_ThrowsWithOutputCommittedAndNoSwitch()
    {
        var words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".Split(' ');
        var a = new TestChatClient("a") { OnStreaming = (_, _, ct) => TestChatClient.Words(ct, words, throwAfter: new HttpIOException(HttpRequestError.ResponseEnded)) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.Streaming.ContinueAfterCommit = false;
        using var client = new FallbackChatClient(options);
        var received = new List<string>();

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken))
            {
                received.Add(update.Text);
            }
        });

        Assert.True(exception.OutputCommitted);
        Assert.Equal(FailureKind.ConnectionFailure, exception.Attempts[^1].Outcome);
        Assert.StartsWith("alpha beta", string.Concat(received), StringComparison.Ordinal);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task Stream_CallerError_ThrowsOriginalWithoutFallback()
    {
        var original = Chain.Status(400);
        var a = new TestChatClient("a") { OnStreaming = (_, _, _) => TestChatClient.Fail(original) };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => Collect(client, TestContext.Current.CancellationToken));

        Assert.Same(original, thrown);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task Stream_CallerErrorQuotingTheKey_ThrowsItRedactedWithoutFallback()
    {
        const string key = "plainStreamKey4242";
        var a = new TestChatClient("a") { OnStreaming = (_, _, _) => TestChatClient.Fail(new HttpRequestException($"rejected {key}", null, System.Net.HttpStatusCode.BadRequest)) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.Providers[0].ApiKey = key;
        using var client = new FallbackChatClient(options);

        var thrown = await Assert.ThrowsAsync<ProviderException>(() => Collect(client, TestContext.Current.CancellationToken));

        Assert.Equal(400, thrown.StatusCode);
        Assert.DoesNotContain(key, thrown.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task Stream_AllFail_ThrowsExhausted()
    {
        var a = new TestChatClient("a") { OnStreaming = (_, _, _) => TestChatClient.Fail(Chain.Status(503)) };
        var b = new TestChatClient("b") { OnStreaming = (_, _, _) => TestChatClient.Fail(Chain.Status(502)) };
        var options = Chain.Options(a, b);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(() => Collect(client, TestContext.Current.CancellationToken));

        Assert.Equal(2, exception.Attempts.Count);
        Assert.All(exception.Attempts, x => Assert.Equal(FailureKind.ServerError, x.Outcome));
    }

    [Fact]
    public async Task Stream_ConsumerStopsEarly_DisposesProviderStream()
    {
        var disposed = false;
        async IAsyncEnumerable<ChatResponseUpdate> Endless([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
        {
            try
            {
                for (var i = 0; ; i++)
                {
                    await Task.Yield();
                    yield return new ChatResponseUpdate(ChatRole.Assistant, $"word{i} ");
                }
            }
            finally
            {
                disposed = true;
            }
        }

        var a = new TestChatClient("a") { OnStreaming = (_, _, ct) => Endless(ct) };
        using var client = Chain.Of(a);
        var count = 0;
        await foreach (var _ in client.GetStreamingResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken))
        {
            if (++count == 20)
            {
                break;
            }
        }

        Assert.True(disposed);
    }
}
