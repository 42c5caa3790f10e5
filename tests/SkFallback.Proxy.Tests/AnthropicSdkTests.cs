using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Microsoft.Extensions.AI;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>
/// The official Anthropic .NET SDK against the gateway's <c>/v1/messages</c>, over chains whose providers speak either
/// wire: an Anthropic client served by an OpenAI-wire provider, and the other way round.
/// </summary>
public sealed class AnthropicSdkTests : IClassFixture<GatewayFixture>
{
    private const string Question = "Plan a day trip to the coast with two stops.";
    private readonly GatewayFixture _fixture;

    public AnthropicSdkTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProviderSimulator Sim => _fixture.Simulator;

    private static MessageCreateParams Params(string model, string text) => new()
    {
        Model = model,
        MaxTokens = 1024,
        Messages = [new UserMessageParam { Content = text }],
    };

    [Fact]
    public async Task Create_Plain_OpenAIWireProviderAnswersTheAnthropicClient()
    {
        var message = await _fixture.Anthropic().Messages.Create(Params("main", Question), Ct);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(Sim.ExpectedReply("sim-a", Question), text.Text);
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.Equal("sim-a", message.Model.Raw());
        Assert.Equal(24, message.Usage.OutputTokens);
        Assert.StartsWith("msg_", message.ID, StringComparison.Ordinal);
        Assert.Equal(WireFormat.OpenAI, Assert.Single(Sim.RequestsFor("sim-a")).Wire);
    }

    [Fact]
    public async Task Create_ClaudeFirstChain_AnthropicProviderAnswers()
    {
        var message = await _fixture.Anthropic().Messages.Create(Params("claude-first", Question), Ct);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(Sim.ExpectedReply("sim-c", Question), text.Text);
        Assert.Equal(WireFormat.Anthropic, Assert.Single(Sim.RequestsFor("sim-c")).Wire);
    }

    [Fact]
    public async Task CreateStreaming_Plain_TextDeltasStopReasonAndUsage()
    {
        var text = new StringBuilder();
        string? stopReason = null;
        long? outputTokens = null;
        var stopped = false;
        await foreach (var streamEvent in _fixture.Anthropic().Messages.CreateStreaming(Params("main", Question), Ct))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
            {
                text.Append(textDelta.Text);
            }
            else if (streamEvent.TryPickDelta(out var messageDelta))
            {
                stopReason = messageDelta.Delta.StopReason?.Raw();
                outputTokens = messageDelta.Usage.OutputTokens;
            }
            else if (streamEvent.TryPickStop(out _))
            {
                stopped = true;
            }
        }

        Assert.Equal(Sim.ExpectedReply("sim-a", Question), text.ToString());
        Assert.Equal("end_turn", stopReason);
        Assert.Equal(24, outputTokens);
        Assert.True(stopped);
    }

    [Theory]
    [InlineData("main", "sim-a")]
    [InlineData("claude-first", "sim-c")]
    public async Task CreateStreaming_DropAfterCommit_OneStreamWithTheFullAnswer(string model, string simModel)
    {
        Sim.Model(simModel).Then(SimulatedBehavior.DropAfter(14));
        var text = new StringBuilder();
        await foreach (var streamEvent in _fixture.Anthropic().Messages.CreateStreaming(Params(model, Question), Ct))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
            {
                text.Append(textDelta.Text);
            }
        }

        Assert.Equal(Sim.ExpectedReply(simModel, Question), text.ToString());
        Assert.Equal(2, Sim.RequestsFor(simModel).Count);
    }

    [Fact]
    public async Task Create_PrimaryServerError_BackupAnswers()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.ServerError(503));

        var message = await _fixture.Anthropic().Messages.Create(Params("main", Question), Ct);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(Sim.ExpectedReply("sim-a", Question), text.Text);
    }

    [Fact]
    public async Task ChatClient_ToolUseRoundTrip_SystemAndStopSequencesReachTheProvider()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.ToolCall("get_weather", """{"city":"Paris"}"""));
        using var client = _fixture.Anthropic().AsIChatClient("main", 1024);
        var options = new ChatOptions
        {
            Tools = [AIFunctionFactory.CreateDeclaration("get_weather", "Current weather", System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""").RootElement)],
            StopSequences = ["END"],
        };
        List<ChatMessage> history = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Weather in Paris?")];

        var first = await client.GetResponseAsync(history, options, Ct);

        var call = Assert.Single(first.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", call.Arguments!["city"]!.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);

        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, """{"temperature":18}""")]));
        var second = await client.GetResponseAsync(history, options, Ct);

        Assert.False(string.IsNullOrEmpty(second.Text));
        var requests = Sim.RequestsFor("sim-a");
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].HasToolResults);
        var body = requests[0].Body;
        Assert.Equal("system", body["messages"]![0]!["role"]!.GetValue<string>());
        Assert.Equal("END", body["stop"]!.AsArray()[0]!.GetValue<string>());
        Assert.Equal("get_weather", body["tools"]![0]!["function"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task ChatClient_Streaming_ToolUseBlock()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.ToolCall("get_weather", """{"city":"Lisbon"}"""));
        using var client = _fixture.Anthropic().AsIChatClient("main", 1024);
        var options = new ChatOptions { Tools = [AIFunctionFactory.CreateDeclaration("get_weather", "Current weather", System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""").RootElement)] };

        var response = await client.GetStreamingResponseAsync("Weather?", options, Ct).ToChatResponseAsync(Ct);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("Lisbon", call.Arguments!["city"]!.ToString());
    }

    [Fact]
    public async Task MessagesStream_EventSequenceAndTrailer()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.DropAfter(14));
        using var http = _fixture.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent($$"""{"model":"main","max_tokens":256,"stream":true,"system":"Be brief.","messages":[{"role":"user","content":"{{Question}}"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", GatewayFixture.Key);
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = await SseEvent.ReadAllAsync(response, Ct);

        Assert.Equal("message_start", events[0].Name);
        Assert.Equal("message_stop", events[^1].Name);
        Assert.Equal("message_delta", events[^2].Name);
        Assert.All(events, e => Assert.Equal(e.Name, e.Json!["type"]!.GetValue<string>()));
        Assert.Single(events, e => e.Name == "content_block_start");
        Assert.Single(events, e => e.Name == "content_block_stop");
        var text = string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e => e.Json!["delta"]!["text"]!.GetValue<string>()));
        Assert.Equal(Sim.ExpectedReply("sim-a", Question), text);
        var meta = events[^2].Json!["skfallback"]!;
        Assert.Equal(["primary", "backup"], meta["continued_from"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("end_turn", events[^2].Json!["delta"]!["stop_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_UnknownModel_NotFoundErrorInTheAnthropicShape()
    {
        var exception = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => _fixture.Anthropic().Messages.Create(Params("claude-9", "hi"), Ct));

        Assert.Equal(404, (int)exception.StatusCode);
        var body = JsonNode.Parse(exception.ResponseBody!)!;
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal("not_found_error", body["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_WrongKey_AuthenticationError()
    {
        var exception = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => _fixture.Anthropic("sk-ant-wrong").Messages.Create(Params("main", "hi"), Ct));

        Assert.Equal("authentication_error", JsonNode.Parse(exception.ResponseBody!)!["error"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"model":"main","messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    [InlineData("""{"model":"main","max_tokens":10,"messages":[]}""", "messages")]
    [InlineData("""{"model":"main","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}""", "messages.0.role")]
    [InlineData("""{"model":"main","max_tokens":"ten","messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    [InlineData("""{"model":"main","max_tokens":10,"thinking":{"type":"enabled","budget_tokens":1000},"messages":[{"role":"user","content":"hi"}]}""", "thinking")]
    [InlineData("""{"model":"main","max_tokens":10,"messages":[{"role":"user","content":"hi"}""", null)]
    public async Task Messages_BadInput_InvalidRequestErrorNamingTheField(string body, string? field)
    {
        using var http = _fixture.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", GatewayFixture.Key);

        using var response = await http.SendAsync(request, Ct);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("invalid_request_error", json["error"]!["type"]!.GetValue<string>());
        if (field is not null)
        {
            Assert.StartsWith(field, json["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Empty(Sim.Requests);
    }
}

/// <summary>The Anthropic SDK's model list against the gateway.</summary>
public sealed class AnthropicModelsTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public AnthropicModelsTests(GatewayFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public async Task ModelsList_AnthropicSdk_ListsTheVirtualModels()
    {
        var page = await _fixture.Anthropic().Models.List(cancellationToken: TestContext.Current.CancellationToken);

        var ids = page.Items.Select(m => m.ID).ToList();
        Assert.Contains("main", ids);
        Assert.Contains("claude-first", ids);
        Assert.Contains("sim-a", ids);
    }
}
