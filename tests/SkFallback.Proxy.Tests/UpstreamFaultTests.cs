using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>
/// Upstream faults behind the gateway reach an OpenAI SDK client as one clean answer whose text is the simulator's full
/// answer: before output the chain switches providers, after output it continues the stream on the next one.
/// </summary>
public sealed class UpstreamFaultTests : IClassFixture<GatewayFixture>
{
    private const string Question = "Plan a day trip to the coast with two stops.";
    private readonly GatewayFixture _fixture;

    public UpstreamFaultTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProviderSimulator Sim => _fixture.Simulator;

    private string Full => Sim.ExpectedReply("sim-a", Question);

    public static TheoryData<string> StreamFaults() => ["server_503", "drop_after_14", "stall_after_12", "truncated_after_12", "refusal_as_200", "drop_before_commit"];

    private static SimulatedBehavior Fault(string name) => name switch
    {
        "server_503" => SimulatedBehavior.ServerError(503),
        "drop_after_14" => SimulatedBehavior.DropAfter(14),
        "stall_after_12" => SimulatedBehavior.Stall(12, TimeSpan.FromSeconds(30)),
        "truncated_after_12" => SimulatedBehavior.TruncateAfter(12),
        "refusal_as_200" => SimulatedBehavior.RefusalText(),
        "drop_before_commit" => SimulatedBehavior.DropAfter(3),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(StreamFaults))]
    public async Task Streaming_PrimaryFaults_ClientReadsTheFullAnswerOnce(string fault)
    {
        Sim.Model("sim-a").Then(Fault(fault));
        var text = new StringBuilder();
        ChatFinishReason? finish = null;

        await foreach (var update in _fixture.OpenAI("main").CompleteChatStreamingAsync([new UserChatMessage(Question)], new ChatCompletionOptions(), Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(Full, text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        var requests = Sim.RequestsFor("sim-a");
        Assert.Equal([WireFormat.OpenAI, WireFormat.Anthropic], requests.Select(r => r.Wire));
    }

    public static TheoryData<string> WholeFaults() => ["server_503", "drop", "truncated", "refusal_as_200", "malformed_json"];

    [Theory]
    [MemberData(nameof(WholeFaults))]
    public async Task NonStreaming_PrimaryFaults_BackupAnswersWithReasonInHeaders(string fault)
    {
        Sim.Model("sim-a").Then(fault switch
        {
            "server_503" => SimulatedBehavior.ServerError(503),
            "drop" => SimulatedBehavior.DropAfter(0),
            "truncated" => SimulatedBehavior.TruncateAfter(0),
            "refusal_as_200" => SimulatedBehavior.RefusalText(),
            _ => SimulatedBehavior.MalformedJson(),
        });

        var result = await _fixture.OpenAI("main").CompleteChatAsync([new UserChatMessage(Question)], cancellationToken: Ct);

        Assert.Equal(Full, result.Value.Content[0].Text);
        var headers = result.GetRawResponse().Headers;
        Assert.True(headers.TryGetValue("x-skfallback-provider", out var provider));
        Assert.Equal("backup", provider);
        Assert.True(headers.TryGetValue("x-skfallback-attempts", out var attempts));
        Assert.Equal("2", attempts);
        Assert.True(headers.TryGetValue("x-skfallback-fallback-reasons", out var reasons));
        Assert.False(string.IsNullOrEmpty(reasons));
    }

    [Fact]
    public async Task Streaming_DropAfterCommit_OneSeamlessSseStreamWithTrailer()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.DropAfter(14));
        using var http = _fixture.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"main","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"{{Question}}"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFixture.Key);

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = await SseEvent.ReadAllAsync(response, Ct);

        Assert.Equal("text/event-stream; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("primary", response.Headers.GetValues("x-skfallback-provider").Single());
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.Single(events, e => e.Data == "[DONE]");
        var chunks = events.Take(events.Count - 1).Select(e => e.Json!).ToList();
        Assert.Single(chunks.Select(c => c["id"]!.GetValue<string>()).Distinct());
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.GetValue<string>()));
        var text = string.Concat(chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["delta"]?["content"]?.GetValue<string>()));
        Assert.Equal(Full, text);
        Assert.Single(chunks, c => c["choices"]!.AsArray().Any(x => x!["delta"]?["role"] is not null));
        Assert.Single(chunks, c => c["choices"]!.AsArray().Any(x => x!["finish_reason"] is JsonValue));

        var trailer = chunks[^1];
        Assert.Empty(trailer["choices"]!.AsArray());
        Assert.NotNull(trailer["usage"]);
        var meta = trailer["skfallback"]!;
        Assert.Equal("backup", meta["provider"]!.GetValue<string>());
        Assert.Equal(["primary", "backup"], meta["continued_from"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("ConnectionFailure", meta["fallback_reasons"]![0]!.GetValue<string>());
        Assert.Equal(2, meta["attempt_count"]!.GetValue<int>());
        Assert.True(meta["overhead_ms"]!.GetValue<double>() >= 0);
    }

    [Fact]
    public async Task NonStreaming_EveryProviderDown_503ListingAttemptsWithoutSecrets()
    {
        Sim.Model("sim-a").Always(SimulatedBehavior.ServerError(503));
        Sim.Model("sim-b").Always(SimulatedBehavior.ServerError(503));
        using var http = _fixture.Http();

        using var response = await PostAsync(http, """{"model":"main","messages":[{"role":"user","content":"hi"}]}""");
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(503, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal("upstream_unavailable", error["code"]!.GetValue<string>());
        Assert.Equal(["primary", "backup", "third"], error["attempts"]!.AsArray().Select(a => a!["provider"]!.GetValue<string>()));
        Assert.All(error["attempts"]!.AsArray(), a => Assert.Equal(503, a!["status"]!.GetValue<int>()));
        Assert.DoesNotContain(GatewayFixture.OpenAIUpstreamKey, body, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFixture.AnthropicUpstreamKey, body, StringComparison.Ordinal);
        Assert.DoesNotContain(_fixture.Simulator.BaseUri.Authority, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_EveryProviderSilent_504BeforeAnyOutput()
    {
        Sim.Model("sim-q1").Always(SimulatedBehavior.Stall(0, TimeSpan.FromSeconds(30)));
        Sim.Model("sim-q2").Always(SimulatedBehavior.Stall(0, TimeSpan.FromSeconds(30)));
        using var http = _fixture.Http();

        using var response = await PostAsync(http, """{"model":"quick","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]!;

        Assert.Equal(504, (int)response.StatusCode);
        Assert.Equal("upstream_timeout", error["code"]!.GetValue<string>());
        Assert.Equal(2, error["attempts"]!.AsArray().Count);
    }

    [Fact]
    public async Task Streaming_ClientDisconnects_UpstreamRequestIsAborted()
    {
        Sim.Model("sim-d").WithLatency(new LatencyProfile(TimeSpan.Zero, 8, 0));
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = _fixture.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent("""{"model":"slow","stream":true,"messages":[{"role":"user","content":"Tell me a long story."}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFixture.Key);

        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(200, (int)response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            var line = await reader.ReadLineAsync(Ct);
            Assert.StartsWith("data: ", line, StringComparison.Ordinal);
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        wait.CancelAfter(TimeSpan.FromSeconds(10));
        await Sim.WaitForRequestsToEndAsync(wait.Token);
        var upstream = Assert.Single(Sim.RequestsFor("sim-d"));
        Assert.True(upstream.Aborted);
        Assert.InRange(upstream.ContentTokensSent, 1, 23);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string json, string? key = GatewayFixture.Key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await http.SendAsync(request, Ct);
    }
}
