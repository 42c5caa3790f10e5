using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>The official OpenAI .NET SDK against the gateway, the gateway against the simulator, all over HTTP.</summary>
public sealed class OpenAISdkTests : IClassFixture<GatewayFixture>
{
    private const string Question = "Plan a day trip to the coast with two stops.";
    private readonly GatewayFixture _fixture;

    public OpenAISdkTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProviderSimulator Sim => _fixture.Simulator;

    private static string Header(System.ClientModel.ClientResult result, string name) =>
        result.GetRawResponse().Headers.TryGetValue(name, out var value) ? value ?? string.Empty : string.Empty;

    [Fact]
    public async Task CompleteChat_Plain_ReturnsTheProvidersAnswerAndMetadataHeaders()
    {
        var result = await _fixture.OpenAI("main").CompleteChatAsync([new UserChatMessage(Question)], cancellationToken: Ct);

        Assert.Equal(Sim.ExpectedReply("sim-a", Question), result.Value.Content[0].Text);
        Assert.Equal("sim-a", result.Value.Model);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
        Assert.Equal(24, result.Value.Usage.OutputTokenCount);
        Assert.Equal("primary", Header(result, "x-skfallback-provider"));
        Assert.Equal("sim-a", Header(result, "x-skfallback-model"));
        Assert.Equal("1", Header(result, "x-skfallback-attempts"));
        Assert.Equal("miss", Header(result, "x-skfallback-cache"));
        Assert.True(double.TryParse(Header(result, "x-skfallback-overhead-ms"), System.Globalization.CultureInfo.InvariantCulture, out _));
        var request = Assert.Single(Sim.RequestsFor("sim-a"));
        Assert.Equal(WireFormat.OpenAI, request.Wire);
    }

    [Fact]
    public async Task CompleteChat_PinnedModelName_ServedByTheChainThatStartsWithIt()
    {
        var result = await _fixture.OpenAI("sim-a").CompleteChatAsync([new UserChatMessage(Question)], cancellationToken: Ct);

        Assert.Equal(Sim.ExpectedReply("sim-a", Question), result.Value.Content[0].Text);
        Assert.Equal("primary", Header(result, "x-skfallback-provider"));
    }

    [Fact]
    public async Task CompleteChat_SamplingOptions_ReachTheProvider()
    {
        var options = new ChatCompletionOptions { Temperature = 0.3f, TopP = 0.9f, MaxOutputTokenCount = 50, Seed = 42, EndUserId = "user-7" };
        options.StopSequences.Add("END");
        options.Metadata["task"] = "summarize";

        await _fixture.OpenAI("main").CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage(Question)], options, Ct);

        var body = Assert.Single(Sim.RequestsFor("sim-a")).Body;
        Assert.Equal(0.3, body["temperature"]!.GetValue<double>(), 3);
        Assert.Equal(0.9, body["top_p"]!.GetValue<double>(), 3);
        Assert.Equal(42, body["seed"]!.GetValue<long>());
        Assert.Equal(50, (body["max_completion_tokens"] ?? body["max_tokens"])!.GetValue<int>());
        Assert.Equal("END", body["stop"]!.AsArray()[0]!.GetValue<string>());
        Assert.Equal("system", body["messages"]![0]!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task CompleteChatStreaming_Plain_StreamsTheWholeAnswerWithUsageAndTrailer()
    {
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        var updates = 0;
        await foreach (var update in _fixture.OpenAI("main").CompleteChatStreamingAsync([new UserChatMessage(Question)], new ChatCompletionOptions(), Ct))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(Sim.ExpectedReply("sim-a", Question), text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(24, usage.OutputTokenCount);
        Assert.True(updates >= 24);
    }

    [Fact]
    public async Task CompleteChat_ToolRoundTrip_ToolCallOutThenResultIn()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.ToolCall("get_weather", """{"city":"Paris"}"""));
        var tool = ChatTool.CreateFunctionTool("get_weather", "Current weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));
        var options = new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateAutoChoice(), AllowParallelToolCalls = true };
        var client = _fixture.OpenAI("main");
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris?")];

        var first = await client.CompleteChatAsync(messages, options, Ct);

        Assert.Equal(ChatFinishReason.ToolCalls, first.Value.FinishReason);
        var call = Assert.Single(first.Value.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());

        messages.Add(new AssistantChatMessage(first.Value));
        messages.Add(new ToolChatMessage(call.Id, """{"temperature":18}"""));
        var second = await client.CompleteChatAsync(messages, options, Ct);

        Assert.Equal(ChatFinishReason.Stop, second.Value.FinishReason);
        Assert.False(string.IsNullOrEmpty(second.Value.Content[0].Text));
        var requests = Sim.RequestsFor("sim-a");
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].HasToolResults);
        var sentTool = requests[0].Body["tools"]![0]!["function"]!;
        Assert.Equal("get_weather", sentTool["name"]!.GetValue<string>());
        Assert.Equal("auto", requests[0].Body["tool_choice"]!.GetValue<string>());
    }

    [Fact]
    public async Task CompleteChatStreaming_ToolCall_ArrivesAsOneToolCallDelta()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.ToolCall("get_weather", """{"city":"Lisbon"}"""));
        var tool = ChatTool.CreateFunctionTool("get_weather", "Current weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""));
        var name = new StringBuilder();
        var arguments = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in _fixture.OpenAI("main").CompleteChatStreamingAsync([new UserChatMessage("Weather?")], new ChatCompletionOptions { Tools = { tool } }, Ct))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                name.Append(part.FunctionName);
                arguments.Append(part.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal("get_weather", name.ToString());
        Assert.Equal("Lisbon", JsonDocument.Parse(arguments.ToString()).RootElement.GetProperty("city").GetString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task CompleteChat_JsonSchema_ForwardedToTheProviderAndAnswerReturned()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.Reply("""{"city":"Porto","stops":2}"""));
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("trip", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"stops":{"type":"integer"}},"required":["city","stops"]}"""), jsonSchemaIsStrict: true),
        };

        var result = await _fixture.OpenAI("main").CompleteChatAsync([new UserChatMessage(Question)], options, Ct);

        var answer = JsonDocument.Parse(result.Value.Content[0].Text).RootElement;
        Assert.Equal("Porto", answer.GetProperty("city").GetString());
        var format = Assert.Single(Sim.RequestsFor("sim-a")).Body["response_format"]!;
        Assert.Equal("json_schema", format["type"]!.GetValue<string>());
        Assert.Equal("trip", format["json_schema"]!["name"]!.GetValue<string>());
        Assert.Equal("integer", format["json_schema"]!["schema"]!["properties"]!["stops"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task CompleteChat_JsonObject_Forwarded()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.Reply("""{"ok":true}"""));

        var result = await _fixture.OpenAI("main").CompleteChatAsync([new UserChatMessage("Answer in JSON.")], new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() }, Ct);

        Assert.True(JsonDocument.Parse(result.Value.Content[0].Text).RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal("json_object", Assert.Single(Sim.RequestsFor("sim-a")).Body["response_format"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task CompleteChat_ClaudeFirstChain_AnthropicProviderServesTheOpenAIWire()
    {
        var result = await _fixture.OpenAI("claude-first").CompleteChatAsync([new UserChatMessage(Question)], cancellationToken: Ct);

        Assert.Equal(Sim.ExpectedReply("sim-c", Question), result.Value.Content[0].Text);
        Assert.Equal(WireFormat.Anthropic, Assert.Single(Sim.RequestsFor("sim-c")).Wire);
        Assert.Equal("claude", Header(result, "x-skfallback-provider"));
    }
}
