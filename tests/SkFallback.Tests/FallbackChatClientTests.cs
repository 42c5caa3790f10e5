using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests;

public class FallbackChatClientTests
{
    [Fact]
    public async Task GetResponse_PrimaryHealthy_AnswersFromPrimaryWithOneAttempt()
    {
        var a = new TestChatClient("a");
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from a", response.Text);
        Assert.Equal("a", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Equal("a-2024-01-01", response.AdditionalProperties[FallbackMetadataKeys.Model]);
        var attempt = Assert.Single(Chain.AttemptsOf(response));
        Assert.True(attempt.Succeeded);
        Assert.Equal(0, b.Calls);
    }

    [Theory]
    [InlineData(500, FailureKind.ServerError)]
    [InlineData(502, FailureKind.ServerError)]
    [InlineData(503, FailureKind.ServerError)]
    [InlineData(504, FailureKind.ServerError)]
    [InlineData(529, FailureKind.ServerError)]
    [InlineData(429, FailureKind.RateLimited)]
    [InlineData(408, FailureKind.Timeout)]
    [InlineData(401, FailureKind.Authentication)]
    [InlineData(404, FailureKind.NotFound)]
    public async Task GetResponse_PrimaryFailsWithStatus_FallsBackNamingReason(int status, FailureKind expected)
    {
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw Chain.Status(status) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", response.Text);
        var attempts = Chain.AttemptsOf(response);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(expected, attempts[0].Outcome);
        Assert.Equal(status, attempts[0].StatusCode);
        Assert.Equal("a", attempts[0].Provider);
        Assert.True(attempts[1].Succeeded);
    }

    public static TheoryData<Exception, FailureKind> Exceptions() => new()
    {
        { new HttpRequestException("reset", new IOException("connection reset", new SocketException(104))), FailureKind.ConnectionFailure },
        { new HttpIOException(HttpRequestError.ResponseEnded, "ended"), FailureKind.ConnectionFailure },
        { new HttpIOException(HttpRequestError.InvalidResponse, "bad"), FailureKind.MalformedResponse },
        { new JsonException("unexpected token"), FailureKind.MalformedResponse },
        { new TimeoutException("slow"), FailureKind.Timeout },
        { new InvalidOperationException("something else"), FailureKind.Unknown },
    };

    [Theory]
    [MemberData(nameof(Exceptions))]
    public async Task GetResponse_PrimaryThrows_ClassifiesAndFallsBack(Exception exception, FailureKind expected)
    {
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw exception };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", response.Text);
        Assert.Equal(expected, Chain.AttemptsOf(response)[0].Outcome);
    }

    [Theory]
    [InlineData("{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens\",\"code\":\"context_length_exceeded\"}}", FailureKind.ContextLengthExceeded)]
    [InlineData("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: 210000 tokens > 200000 maximum\"}}", FailureKind.ContextLengthExceeded)]
    [InlineData("{\"error\":{\"message\":\"The response was filtered\",\"code\":\"content_filter\"}}", FailureKind.Refusal)]
    [InlineData("{\"error\":{\"message\":\"Invalid value for 'temperature'\",\"code\":null}}", FailureKind.CallerError)]
    public void FromStatus_400WithBody_ClassifiesByBody(string body, FailureKind expected)
    {
        var classification = Routing.FailureClassifier.FromStatus(400, body, null, "detail");

        Assert.Equal(expected, classification.Kind);
    }

    [Fact]
    public async Task GetResponse_CallerError_DoesNotFallBackAndThrowsOriginal()
    {
        var original = Chain.Status(400);
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw original };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Same(original, thrown);
        Assert.Equal(1, a.Calls);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task GetResponse_CallerErrorQuotingTheKey_ThrowsItRedacted()
    {
        const string key = "plainCallerKey9001";
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw new HttpRequestException($"Bad request for key {key}", null, System.Net.HttpStatusCode.BadRequest) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.Providers[0].ApiKey = key;
        using var client = new FallbackChatClient(options);

        var thrown = await Assert.ThrowsAsync<ProviderException>(() => client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(FailureKind.CallerError, thrown.Kind);
        Assert.Equal(400, thrown.StatusCode);
        Assert.Equal("a", thrown.Provider);
        Assert.Equal(typeof(HttpRequestException).FullName, thrown.OriginalType);
        Assert.DoesNotContain(key, thrown.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task GetResponse_CallerErrorQuotingTheKeyWithExposeProviderExceptions_ThrowsOriginal()
    {
        const string key = "plainCallerKey9002";
        var original = new HttpRequestException($"Bad request for key {key}", null, System.Net.HttpStatusCode.BadRequest);
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw original };
        var options = Chain.Options(a, new TestChatClient("b"));
        options.Providers[0].ApiKey = key;
        options.ExposeProviderExceptions = true;
        using var client = new FallbackChatClient(options);

        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Same(original, thrown);
    }

    [Fact]
    public async Task GetResponse_AllFail_ThrowsExhaustedWithEveryAttempt()
    {
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw Chain.Status(503) };
        var b = new TestChatClient("b") { OnResponse = (_, _, _) => throw Chain.Status(429) };
        var c = new TestChatClient("c") { OnResponse = (_, _, _) => throw new HttpIOException(HttpRequestError.ResponseEnded) };
        var options = Chain.Options(a, b, c);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(() => client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(["a", "b", "c"], exception.Attempts.Select(x => x.Provider));
        Assert.Equal([FailureKind.ServerError, FailureKind.RateLimited, FailureKind.ConnectionFailure], exception.Attempts.Select(x => x.Outcome));
        Assert.Contains("a/a-2024-01-01: ServerError HTTP 503", exception.Message, StringComparison.Ordinal);
        Assert.Contains("c/c-2024-01-01: ConnectionFailure", exception.Message, StringComparison.Ordinal);
        Assert.Equal(typeof(HttpIOException).FullName, Assert.IsType<ProviderException>(exception.InnerException).OriginalType);
        Assert.False(exception.OutputCommitted);
    }

    [Fact]
    public async Task GetResponse_TransientFailure_RetriesSameProviderBeforeMovingOn()
    {
        var calls = 0;
        var a = new TestChatClient("a")
        {
            OnResponse = (_, _, _) => ++calls == 1 ? throw Chain.Status(502) : Task.FromResult(TestChatClient.Answer("a")),
        };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from a", response.Text);
        var attempts = Chain.AttemptsOf(response);
        Assert.Equal([0, 1], attempts.Select(x => x.Retry));
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task GetResponse_RetryBudget_IsSharedAcrossTheChain()
    {
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw Chain.Status(500) };
        var b = new TestChatClient("b") { OnResponse = (_, _, _) => throw Chain.Status(500) };
        var c = new TestChatClient("c") { OnResponse = (_, _, _) => throw Chain.Status(500) };
        var options = Chain.Options(a, b, c);
        options.MaxRetriesPerProvider = 5;
        options.RetryBudget = 3;

        // Keep the breaker out of it: it would stop retrying a once it opened.
        options.CircuitBreaker.FailureThreshold = 10;
        using var client = new FallbackChatClient(options);

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(() => client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken));

        // 3 providers × 1 first attempt, plus the 3 retries the budget allows (all spent on a).
        Assert.Equal(6, exception.Attempts.Count);
        Assert.Equal(4, a.Calls);
        Assert.Equal(1, b.Calls);
        Assert.Equal(1, c.Calls);
    }

    [Fact]
    public async Task GetResponse_RateLimited_DoesNotRetrySameProvider()
    {
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw Chain.Status(429) };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1, a.Calls);
    }

    [Fact]
    public async Task GetResponse_RefusalText_FallsBack()
    {
        var a = new TestChatClient("a")
        {
            OnResponse = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "I'm sorry, but I can't help with that.")) { FinishReason = ChatFinishReason.Stop }),
        };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", response.Text);
        Assert.Equal(FailureKind.Refusal, Chain.AttemptsOf(response)[0].Outcome);
    }

    [Fact]
    public async Task GetResponse_ContentFilterFinish_FallsBack()
    {
        var a = new TestChatClient("a")
        {
            OnResponse = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Empty)) { FinishReason = ChatFinishReason.ContentFilter }),
        };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("b", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Equal(FailureKind.Refusal, Chain.AttemptsOf(response)[0].Outcome);
    }

    [Fact]
    public async Task GetResponse_RefusalField_FallsBack()
    {
        var message = new ChatMessage(ChatRole.Assistant, [new ErrorContent("I can't comply") { ErrorCode = "Refusal" }]);
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => Task.FromResult(new ChatResponse(message) { FinishReason = ChatFinishReason.Stop }) };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", response.Text);
    }

    [Fact]
    public async Task GetResponse_RefusalNotConfiguredToFallBack_ReturnsTheRefusal()
    {
        var a = new TestChatClient("a")
        {
            OnResponse = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "I'm sorry, but I can't help with that.")) { FinishReason = ChatFinishReason.Stop }),
        };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.FallbackOn = [FailureKind.ServerError];
        using var client = new FallbackChatClient(options);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.StartsWith("I'm sorry", response.Text, StringComparison.Ordinal);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task GetResponse_CustomRefusalPhrase_IsDetected()
    {
        var a = new TestChatClient("a")
        {
            OnResponse = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "As a policy, no.")) { FinishReason = ChatFinishReason.Stop }),
        };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.RefusalPhrases = ["As a policy"];
        using var client = new FallbackChatClient(options);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", response.Text);
    }

    [Fact]
    public async Task GetResponse_MissingFinishReason_IsMalformedAndFallsBack()
    {
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "half"))) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from b", response.Text);
        Assert.Equal(FailureKind.MalformedResponse, Chain.AttemptsOf(response)[0].Outcome);
    }

    [Fact]
    public async Task GetResponse_ContextLengthExceeded_SkipsProvidersWithoutALargerWindow()
    {
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw new HttpRequestException("context_length_exceeded: maximum context length is 8192", null, System.Net.HttpStatusCode.BadRequest) };
        var b = new TestChatClient("b");
        var c = new TestChatClient("c");
        var options = Chain.Options(a, b, c);
        options.Providers[0].ContextWindow = 8192;
        options.Providers[1].ContextWindow = 8192;
        options.Providers[2].ContextWindow = 128_000;
        using var client = new FallbackChatClient(options);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from c", response.Text);
        Assert.Equal(0, b.Calls);
        var attempts = Chain.AttemptsOf(response);
        Assert.Equal(FailureKind.ContextLengthExceeded, attempts[0].Outcome);
        Assert.True(attempts[1].Skipped);
        Assert.Equal("b", attempts[1].Provider);
    }

    [Fact]
    public async Task GetResponse_CallerCancels_StopsAtOnceWithoutFurtherAttempts()
    {
        using var cts = new CancellationTokenSource();
        var a = new TestChatClient("a")
        {
            OnResponse = async (_, _, ct) =>
            {
                await cts.CancelAsync();
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return TestChatClient.Answer("a");
            },
        };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync("hi", cancellationToken: cts.Token));

        Assert.Equal(1, a.Calls);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task GetResponse_AlreadyCancelled_CallsNoProvider()
    {
        var a = new TestChatClient("a");
        using var client = Chain.Of(a);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync("hi", cancellationToken: new CancellationToken(true)));

        Assert.Equal(0, a.Calls);
    }

    [Fact]
    public async Task GetResponse_SecretInProviderError_IsRedactedFromAttemptsAndMessage()
    {
        const string key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw new InvalidOperationException($"bad key {key} and Bearer abcdefghijklmnop") };
        var b = new TestChatClient("b") { OnResponse = (_, _, _) => throw Chain.Status(500) };
        var options = Chain.Options(a, b);
        options.Providers[0].ApiKey = key;
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(() => client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken));

        Assert.DoesNotContain(key, exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("abcdefghijklmnop", exception.Attempts[0].Detail, StringComparison.Ordinal);
        Assert.Contains("***", exception.Attempts[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponse_CallerModelId_IsReplacedByEachProvidersPinnedModel()
    {
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => throw Chain.Status(500) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        await client.GetResponseAsync("hi", new ChatOptions { ModelId = "a-2024-01-01" }, TestContext.Current.CancellationToken);

        Assert.Equal("a-2024-01-01", a.ReceivedOptions[0]!.ModelId);
        Assert.Equal("b-2024-01-01", b.ReceivedOptions[0]!.ModelId);
    }

    [Fact]
    public void GetService_Metadata_NamesTheFirstModel()
    {
        using var client = Chain.Of(new TestChatClient("a"), new TestChatClient("b"));

        var metadata = client.GetService<ChatClientMetadata>();

        Assert.Equal("skfallback", metadata!.ProviderName);
        Assert.Equal("a-2024-01-01", metadata.DefaultModelId);
        Assert.Same(client, client.GetService<FallbackChatClient>());
        Assert.Equal(["a", "b"], client.ProviderNames);
    }
}
