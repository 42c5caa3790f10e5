using System.ClientModel;
using System.Text;
using OpenAI.Chat;

namespace SkFallback.Simulator.Tests;

public sealed class OpenAISdkTests
{
    private const string Model = "gpt-sim-1";

    [Fact]
    public async Task CompleteChat_Ok_ReturnsExpectedReplyAndUsage()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var client = SimulatorClients.OpenAI(simulator, Model);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Hello there")], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(simulator.ExpectedReply(Model, "Hello there"), completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(24, completion.Usage.OutputTokenCount);
        Assert.Equal(Math.Max(1, "Hello there".Length / 4), completion.Usage.InputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + 24, completion.Usage.TotalTokenCount);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChatStreaming_Ok_StreamsOneWordPerChunkWithFinishAndUsage()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var client = SimulatorClients.OpenAI(simulator, Model);
        var text = new StringBuilder();
        var contentChunks = 0;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;

        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Stream please")], cancellationToken: TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                if (part.Text.Length > 0)
                {
                    contentChunks++;
                    text.Append(part.Text);
                }
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(simulator.ExpectedReply(Model, "Stream please"), text.ToString());
        Assert.Equal(24, contentChunks);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(24, usage.OutputTokenCount);
    }

    [Fact]
    public async Task CompleteChat_ToolCallThenToolResult_AnswerMentionsResult()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.ToolCall("get_weather", """{"city":"Paris"}"""));
        var client = SimulatorClients.OpenAI(simulator, Model);
        var tool = ChatTool.CreateFunctionTool("get_weather", "Weather of a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""));
        var options = new ChatCompletionOptions { Tools = { tool } };
        List<ChatMessage> history = [new UserChatMessage("Weather in Paris?")];

        ChatCompletion first = await client.CompleteChatAsync(history, options, TestContext.Current.CancellationToken);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);

        history.Add(new AssistantChatMessage(first));
        history.Add(new ToolChatMessage(call.Id, "sunny, 21 C"));
        ChatCompletion second = await client.CompleteChatAsync(history, options, TestContext.Current.CancellationToken);

        Assert.Equal("The tool get_weather returned: sunny, 21 C. " + simulator.ExpectedReply(Model, "Weather in Paris?"), second.Content[0].Text);
        Assert.True(simulator.Requests[1].HasToolResults);
    }

    [Fact]
    public async Task CompleteChatStreaming_ToolCall_StreamsIdNameAndArgumentFragments()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.ToolCall("lookup", """{"query":"simulated fallback chains"}"""));
        var client = SimulatorClients.OpenAI(simulator, Model);
        var arguments = new StringBuilder();
        string? id = null;
        string? name = null;
        var fragments = 0;
        ChatFinishReason? finish = null;

        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Look it up")], cancellationToken: TestContext.Current.CancellationToken))
        {
            foreach (var toolUpdate in update.ToolCallUpdates)
            {
                id ??= toolUpdate.ToolCallId;
                name ??= toolUpdate.FunctionName;
                if (toolUpdate.FunctionArgumentsUpdate?.ToString() is { Length: > 0 } fragment)
                {
                    fragments++;
                    arguments.Append(fragment);
                }
            }

            finish ??= update.FinishReason;
        }

        Assert.StartsWith("call_", id, StringComparison.Ordinal);
        Assert.Equal("lookup", name);
        Assert.Equal("""{"query":"simulated fallback chains"}""", arguments.ToString());
        Assert.True(fragments > 1);
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task CompleteChat_ServerError_ThrowsClientResultExceptionWithStatus(int status)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.ServerError(status));
        var client = SimulatorClients.OpenAI(simulator, Model);

        var exception = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(status, exception.Status);
        Assert.Equal(status, Assert.Single(simulator.Requests).StatusCode);
    }

    [Fact]
    public async Task CompleteChat_RateLimited_ThrowsWith429AndRetryAfterHeaders()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.RateLimited(TimeSpan.FromMilliseconds(1500)));
        var client = SimulatorClients.OpenAI(simulator, Model);

        var exception = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(429, exception.Status);
        var headers = exception.GetRawResponse()!.Headers;
        Assert.True(headers.TryGetValue("retry-after", out var retryAfter));
        Assert.Equal("2", retryAfter);
        Assert.True(headers.TryGetValue("retry-after-ms", out var retryAfterMs));
        Assert.Equal("1500", retryAfterMs);
        Assert.True(headers.TryGetValue("x-ratelimit-remaining-requests", out var remaining));
        Assert.Equal("0", remaining);
        Assert.True(headers.TryGetValue("x-ratelimit-reset-requests", out var reset));
        Assert.Equal("1.5s", reset);
        Assert.Contains("rate_limit_exceeded", exception.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("refusal_error", 400, "content_filter")]
    [InlineData("context_length_exceeded", 400, "context_length_exceeded")]
    [InlineData("bad_request", 400, "invalid_value")]
    [InlineData("unauthorized", 401, "invalid_api_key")]
    public async Task CompleteChat_ErrorBehavior_ThrowsWithStatusAndCode(string kind, int status, string code)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(Scripting.ScriptDocument.ReadBehavior(System.Text.Json.Nodes.JsonNode.Parse($$"""{"kind":"{{kind}}"}""")));
        var client = SimulatorClients.OpenAI(simulator, Model);

        var exception = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(status, exception.Status);
        var body = System.Text.Json.Nodes.JsonNode.Parse(exception.GetRawResponse()!.Content.ToString())!;
        Assert.Equal(code, body["error"]!["code"]!.GetValue<string>());
        Assert.NotNull(body["error"]!["message"]);
        Assert.NotNull(body["error"]!["type"]);
    }

    [Fact]
    public async Task CompleteChat_ContentFilter_FinishReasonContentFilterWithoutText()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.ContentFilter());
        var client = SimulatorClients.OpenAI(simulator, Model);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(ChatFinishReason.ContentFilter, completion.FinishReason);
        Assert.True(completion.Content.Count == 0 || completion.Content[0].Text.Length == 0);
    }

    [Fact]
    public async Task CompleteChat_RefusalText_SetsRefusalAndStop()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.RefusalText());
        var client = SimulatorClients.OpenAI(simulator, Model);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("I'm sorry, but I can't help with that.", completion.Refusal);
        Assert.Equal("I'm sorry, but I can't help with that.", completion.Content[0].Text);
    }

    [Fact]
    public async Task CompleteChat_MaxTokensBelowReply_FinishReasonLength()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var client = SimulatorClients.OpenAI(simulator, Model);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 }, TestContext.Current.CancellationToken);

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(3, completion.Usage.OutputTokenCount);
        Assert.Equal(3, completion.Content[0].Text.Split(' ').Length);
    }
}
