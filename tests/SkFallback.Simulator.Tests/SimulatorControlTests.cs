using System.ClientModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;

namespace SkFallback.Simulator.Tests;

public sealed class SimulatorControlTests
{
    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task StartAsync_Default_ListensOnLoopbackWithEndpoints()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);

        Assert.Equal("127.0.0.1", simulator.BaseUri.Host);
        Assert.NotEqual(0, simulator.BaseUri.Port);
        Assert.Equal(new Uri(simulator.BaseUri, "v1/"), simulator.OpenAIEndpoint);
        Assert.Equal(simulator.BaseUri, simulator.AnthropicEndpoint);
    }

    [Fact]
    public async Task ExpectedReply_SameSeedTwoInstances_SameTextOverTheWire()
    {
        await using var first = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = 7 }, TestToken);
        await using var second = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = 7 }, TestToken);
        await using var other = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = 8 }, TestToken);
        using var firstClient = SimulatorClients.Chat(first, WireFormat.OpenAI, "m");
        using var secondClient = SimulatorClients.Chat(second, WireFormat.Anthropic, "m");

        var a = await firstClient.GetResponseAsync("same question", cancellationToken: TestToken);
        var b = await secondClient.GetResponseAsync("same question", cancellationToken: TestToken);

        Assert.Equal(a.Text, b.Text);
        Assert.Equal(first.ExpectedReply("m", "same question"), second.ExpectedReply("m", "same question"));
        Assert.NotEqual(first.ExpectedReply("m", "same question"), other.ExpectedReply("m", "same question"));
        Assert.NotEqual(first.ExpectedReply("m", "same question"), first.ExpectedReply("m2", "same question"));
        Assert.NotEqual(first.ExpectedReply("m", "same question"), first.ExpectedReply("m", "other question"));
    }

    [Fact]
    public void ExpectedReply_KnownSeed_IsStableAcrossProcesses()
    {
        // A fixed value: string.GetHashCode would change per process and fail this.
        const string Expected = "Coral jade quill pine juniper quill drift lattice zenith bright bright ocean prairie vector glacier raven island solar drift raven lattice zephyr forest solar.";
        var composer = new Content.ReplyComposer(1, 24);

        Assert.Equal(Expected, composer.Words("sim-model", "Weather in Paris?"));
    }

    [Fact]
    public async Task ReplyWords_Option_ControlsReplyLength()
    {
        await using var simulator = await ProviderSimulator.StartAsync(new SimulatorOptions { ReplyWords = 5 }, TestToken);

        Assert.Equal(5, simulator.ExpectedReply("m", "x").Split(' ').Length);
    }

    [Fact]
    public async Task Models_OpenAIRequest_ReturnsOpenAIListShape()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("gpt-b");
        simulator.Model("gpt-a");
        var client = new global::OpenAI.OpenAIClient(new ApiKeyCredential("k"), new global::OpenAI.OpenAIClientOptions { Endpoint = simulator.OpenAIEndpoint }).GetOpenAIModelClient();

        var models = (await client.GetModelsAsync(TestToken)).Value;

        Assert.Equal(["gpt-a", "gpt-b"], models.Select(m => m.Id));
        Assert.Equal("skfallback-simulator", models[0].OwnedBy);
    }

    [Fact]
    public async Task Models_AnthropicRequest_ReturnsAnthropicListShape()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("claude-a");
        var client = SimulatorClients.Anthropic(simulator);

        var page = await client.Models.List(cancellationToken: TestToken);

        var model = Assert.Single(page.Items);
        Assert.Equal("claude-a", model.ID);
        using var http = SimulatorClients.Http(simulator);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request, TestToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestToken))!;
        Assert.False(body["has_more"]!.GetValue<bool>());
        Assert.Equal("model", body["data"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("claude-a", body["first_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RequiredApiKey_WrongKey_Gets401OnBothWires()
    {
        await using var simulator = await ProviderSimulator.StartAsync(new SimulatorOptions { RequiredApiKey = "right" }, TestToken);
        var openAI = SimulatorClients.OpenAI(simulator, "m", apiKey: "wrong");
        var anthropic = SimulatorClients.Anthropic(simulator, apiKey: "wrong");

        var openAIError = await Assert.ThrowsAsync<ClientResultException>(() => openAI.CompleteChatAsync([new global::OpenAI.Chat.UserChatMessage("hi")], cancellationToken: TestToken));
        await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => anthropic.AsIChatClient("m", 100).GetResponseAsync("hi", cancellationToken: TestToken));
        var accepted = await SimulatorClients.OpenAI(simulator, "m", apiKey: "right").CompleteChatAsync([new global::OpenAI.Chat.UserChatMessage("hi")], cancellationToken: TestToken);

        Assert.Equal(401, openAIError.Status);
        Assert.Equal(global::OpenAI.Chat.ChatFinishReason.Stop, accepted.Value.FinishReason);
        Assert.Equal(["unauthorized", "unauthorized", "ok"], simulator.Requests.Select(r => r.BehaviorName));
        Assert.Equal([401, 401, 200], simulator.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Requests_MixedTraffic_RecordsEachRequestInOrder()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("a").Then(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(1)));
        using var openAI = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "a");
        using var anthropic = SimulatorClients.Chat(simulator, WireFormat.Anthropic, "b");

        await Assert.ThrowsAsync<ClientResultException>(() => openAI.GetResponseAsync("first", cancellationToken: TestToken));
        await openAI.GetResponseAsync([new(ChatRole.System, "be brief"), new(ChatRole.User, "second")], cancellationToken: TestToken);
        await anthropic.GetStreamingResponseAsync("third", cancellationToken: TestToken).ToListAsync(TestToken);

        var all = simulator.Requests;
        Assert.Equal([1, 2, 3], all.Select(r => r.Sequence));
        Assert.Equal(["rate_limited", "ok", "ok"], all.Select(r => r.BehaviorName));
        Assert.Equal([WireFormat.OpenAI, WireFormat.OpenAI, WireFormat.Anthropic], all.Select(r => r.Wire));
        Assert.Equal(["first", "second", "third"], all.Select(r => r.LastUserMessage));
        Assert.Equal([false, false, true], all.Select(r => r.Stream));
        Assert.Equal(2, all[1].MessageCount);
        Assert.Equal("b", all[2].Body["model"]!.GetValue<string>());
        Assert.Equal(2, simulator.RequestsFor("a").Count);
        Assert.Single(simulator.RequestsFor("b"));
    }

    [Fact]
    public async Task Then_Times_AppliesInOrderThenFallsBackToAlways()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Then(SimulatedBehavior.ServerError(502), times: 2).Then(SimulatedBehavior.Reply("custom text")).Always(SimulatedBehavior.ServerError(503));
        using var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "m");

        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hi", cancellationToken: TestToken));
        }

        var reply = await client.GetResponseAsync("hi", cancellationToken: TestToken);
        await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hi", cancellationToken: TestToken));

        Assert.Equal("custom text", reply.Text);
        Assert.Equal([502, 502, 200, 503], simulator.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Reset_AfterTraffic_ClearsScriptsAndLog()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Always(SimulatedBehavior.ServerError());
        using var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "m");
        await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hi", cancellationToken: TestToken));

        simulator.Reset();
        var reply = await client.GetResponseAsync("hi", cancellationToken: TestToken);

        Assert.Equal(simulator.ExpectedReply("m", "hi"), reply.Text);
        Assert.Equal(1, Assert.Single(simulator.Requests).Sequence);
    }

    [Fact]
    public async Task ScriptEndpoint_JsonScript_DrivesModelAndShowsInRequestLog()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        using var http = SimulatorClients.Http(simulator);
        using var script = Json("""{"then":[{"kind":"rate_limited","retryAfterSeconds":2,"times":1},{"kind":"tool_call","functionName":"f","arguments":{"a":1}}],"always":{"kind":"reply","text":"from script"}}""");

        using var posted = await http.PostAsync(new Uri("_sim/models/gpt%2Fx/script", UriKind.Relative), script, TestToken);
        using var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "gpt/x");
        var limited = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hi", cancellationToken: TestToken));
        var call = await client.GetResponseAsync("hi", cancellationToken: TestToken);
        var text = await client.GetResponseAsync("hi", cancellationToken: TestToken);
        using var log = await http.GetAsync(new Uri("_sim/requests", UriKind.Relative), TestToken);
        var entries = JsonNode.Parse(await log.Content.ReadAsStringAsync(TestToken))!.AsArray();

        Assert.True(posted.IsSuccessStatusCode);
        Assert.Equal(429, limited.Status);
        Assert.Equal("f", call.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single().Name);
        Assert.Equal("from script", text.Text);
        Assert.Equal(["rate_limited", "tool_call", "reply"], entries.Select(e => e!["behavior"]!.GetValue<string>()));
        Assert.Equal("hi", entries[0]!["lastUserMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task ScriptEndpoint_UnknownKind_Returns400WithMessage()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        using var http = SimulatorClients.Http(simulator);
        using var script = Json("""{"then":[{"kind":"explode"}]}""");

        using var response = await http.PostAsync(new Uri("_sim/models/m/script", UriKind.Relative), script, TestToken);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("explode", await response.Content.ReadAsStringAsync(TestToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetEndpoint_Post_ClearsLog()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        using var client = SimulatorClients.Chat(simulator, WireFormat.Anthropic, "m");
        await client.GetResponseAsync("hi", cancellationToken: TestToken);
        using var http = SimulatorClients.Http(simulator);

        using var response = await http.PostAsync(new Uri("_sim/reset", UriKind.Relative), null, TestToken);

        Assert.True(response.IsSuccessStatusCode);
        Assert.Empty(simulator.Requests);
    }

    [Fact]
    public async Task LoadScript_ModelsDocument_ScriptsEachModel()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.LoadScript("""{"models":{"a":{"always":{"kind":"server_error","statusCode":529}},"b":{"contextWindow":1}}}""");
        using var a = SimulatorClients.Chat(simulator, WireFormat.Anthropic, "a");
        using var b = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "b");

        var overloaded = await Assert.ThrowsAsync<AnthropicOverloadedException>(() => a.GetResponseAsync("hi", cancellationToken: TestToken));
        var tooLong = await Assert.ThrowsAsync<ClientResultException>(() => b.GetResponseAsync("a prompt longer than one token", cancellationToken: TestToken));

        Assert.Equal(529, (int)overloaded.StatusCode);
        Assert.Contains("context_length_exceeded", tooLong.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithLatency_TimeToFirstToken_DelaysResponse()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("slow").WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(150), 0, 0));
        using var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "slow");
        var stopwatch = Stopwatch.StartNew();

        await client.GetResponseAsync("hi", cancellationToken: TestToken);

        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(140), stopwatch.Elapsed.ToString());
    }

    [Fact]
    public async Task InvalidJsonBody_Returns400InWireFormat()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        using var http = SimulatorClients.Http(simulator);
        using var body = Json("{not json");

        using var response = await http.PostAsync(new Uri("v1/messages", UriKind.Relative), body, TestToken);

        Assert.Equal(400, (int)response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestToken))!;
        Assert.Equal("invalid_request_error", error["error"]!["type"]!.GetValue<string>());
        Assert.Equal("invalid_json", Assert.Single(simulator.Requests).BehaviorName);
    }

    [Fact]
    public void Factories_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SimulatedBehavior.ServerError(404));
        Assert.Throws<ArgumentException>(() => SimulatedBehavior.ToolCall("f", "[1]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => SimulatedBehavior.DropAfter(-1));
        Assert.Equal("stall", SimulatedBehavior.Stall(1).Name);
        Assert.Equal(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(1)), SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(1)));
    }
}
