using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Routing;
using SkFallback.Simulator;

namespace SkFallback.OpenTelemetry.Tests;

/// <summary>
/// Spans and metrics through the OpenTelemetry SDK (in-memory exporter), over real HTTP with the real OpenAI and
/// Anthropic SDKs against the simulator: the call's span parents one <c>chat {model}</c> span per attempt, with the
/// GenAI convention attributes and SkFallback's own, for a fallback, a continuation and a race.
/// </summary>
[Collection(nameof(AttemptSpanTests))]
[CollectionDefinition(nameof(AttemptSpanTests), DisableParallelization = true)]
public sealed class AttemptSpanTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _fixture;

    public AttemptSpanTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private ProviderSimulator Sim => _fixture.Simulator;

    public static TheoryData<WireFormat, bool> WiresAndModes() => new()
    {
        { WireFormat.OpenAI, false },
        { WireFormat.OpenAI, true },
        { WireFormat.Anthropic, false },
        { WireFormat.Anthropic, true },
    };

    internal static async Task<string> Ask(IChatClient client, bool streaming, string question = "Name a colour.")
    {
        var ct = TestContext.Current.CancellationToken;
        if (!streaming)
        {
            return (await client.GetResponseAsync(question, cancellationToken: ct)).Text;
        }

        var text = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync(question, cancellationToken: ct))
        {
            text.Append(update.Text);
        }

        return text.ToString();
    }

    private static string Name(string prefix, WireFormat wire, bool streaming) => $"{prefix}-{wire}-{(streaming ? "s" : "r")}".ToLowerInvariant();

    internal static void AssertAttemptOf(Activity call, Activity attempt, string model, string genAiProvider, ProviderSimulator sim)
    {
        Assert.Equal($"chat {model}", attempt.DisplayName);
        Assert.Equal(ActivityKind.Client, attempt.Kind);
        Assert.Equal(FallbackTelemetry.SourceName, attempt.Source.Name);
        Assert.Equal(call.SpanId, attempt.ParentSpanId);
        Assert.Equal(call.TraceId, attempt.TraceId);
        Assert.Equal("chat", attempt.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(genAiProvider, attempt.GetTagItem("gen_ai.provider.name"));
        Assert.Equal(model, attempt.GetTagItem("gen_ai.request.model"));
        Assert.Equal(sim.OpenAIEndpoint.Host, attempt.GetTagItem("server.address"));
        Assert.Equal(genAiProvider == "openai" ? sim.OpenAIEndpoint.Port : sim.AnthropicEndpoint.Port, attempt.GetTagItem("server.port"));
    }

    [Theory]
    [MemberData(nameof(WiresAndModes))]
    public async Task Fallback_CallSpanParentsOneChatSpanPerAttempt_WithTheConventionsAttributes(WireFormat wire, bool streaming)
    {
        string primary = Name("otel-fb-a", wire, streaming), backup = Name("otel-fb-b", wire, streaming);
        Sim.Model(primary).Always(SimulatedBehavior.ServerError());
        using var capture = new OtelCapture();
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.Add(_fixture.Provider("primary", primary, wire));
        options.Add(_fixture.Provider("backup", backup, wire));
        using var client = new FallbackChatClient(options);

        var text = await Ask(client, streaming);

        Assert.Equal(Sim.ExpectedReply(backup, "Name a colour."), text);
        var trace = capture.TraceOf(primary);
        TestContext.Current.TestOutputHelper?.WriteLine(OtelCapture.Describe(trace));
        var genAi = wire == WireFormat.OpenAI ? "openai" : "anthropic";
        var call = Assert.Single(trace, s => s.Parent is null && s.ParentSpanId == default);
        Assert.Equal(streaming ? "skfallback.chat.stream" : "skfallback.chat", call.DisplayName);
        Assert.Equal(ActivityKind.Internal, call.Kind);
        Assert.Null(call.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("backup", call.GetTagItem("skfallback.provider"));
        Assert.Equal(2, call.GetTagItem("skfallback.attempt_count"));
        Assert.Equal(3, trace.Count);

        var failed = Assert.Single(trace, s => (string?)s.GetTagItem("gen_ai.request.model") == primary);
        AssertAttemptOf(call, failed, primary, genAi, Sim);
        Assert.Equal("ServerError", failed.GetTagItem("error.type"));
        Assert.Equal(500, failed.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal(0, failed.GetTagItem("skfallback.attempt.index"));
        Assert.Equal("primary", failed.GetTagItem("skfallback.provider"));
        Assert.Equal("Closed", failed.GetTagItem("skfallback.breaker.state"));
        Assert.Null(failed.GetTagItem("skfallback.fallback.reason"));

        var answered = Assert.Single(trace, s => (string?)s.GetTagItem("gen_ai.request.model") == backup);
        AssertAttemptOf(call, answered, backup, genAi, Sim);
        Assert.Null(answered.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, answered.Status);
        Assert.Equal(1, answered.GetTagItem("skfallback.attempt.index"));
        Assert.Equal("ServerError", answered.GetTagItem("skfallback.fallback.reason"));
        Assert.Equal(backup, answered.GetTagItem("gen_ai.response.model"));
        Assert.Equal(["stop"], Assert.IsType<string[]>(answered.GetTagItem("gen_ai.response.finish_reasons")));
        Assert.True((int)answered.GetTagItem("gen_ai.usage.input_tokens")! > 0);
        Assert.True((int)answered.GetTagItem("gen_ai.usage.output_tokens")! > 0);
        Assert.Equal(streaming ? true : null, answered.GetTagItem("gen_ai.request.stream"));
        if (streaming)
        {
            Assert.True((double)answered.GetTagItem("gen_ai.response.time_to_first_chunk")! > 0);
        }

        Assert.True(failed.StartTimeUtc <= answered.StartTimeUtc);
        Assert.True(answered.StartTimeUtc + answered.Duration <= call.StartTimeUtc + call.Duration);

        var points = capture.Metrics();
        var durations = points.Where(p => p.Instrument == "gen_ai.client.operation.duration" && p.Meter == FallbackTelemetry.SourceName).ToList();
        var failedDuration = Assert.Single(durations, p => (string?)p.Tag("gen_ai.request.model") == primary);
        Assert.Equal("ServerError", failedDuration.Tag("error.type"));
        Assert.Equal(genAi, failedDuration.Tag("gen_ai.provider.name"));
        Assert.Equal("chat", failedDuration.Tag("gen_ai.operation.name"));
        Assert.Equal(1, failedDuration.Count);
        var answeredDuration = Assert.Single(durations, p => (string?)p.Tag("gen_ai.request.model") == backup);
        Assert.Null(answeredDuration.Tag("error.type"));
        Assert.Equal(backup, answeredDuration.Tag("gen_ai.response.model"));
        Assert.Equal(Sim.OpenAIEndpoint.Host, answeredDuration.Tag("server.address"));
        var tokens = points.Where(p => p.Instrument == "gen_ai.client.token.usage" && (string?)p.Tag("gen_ai.request.model") == backup).ToList();
        Assert.Equal(["input", "output"], tokens.Select(p => (string)p.Tag("gen_ai.token.type")!).Order());
        Assert.All(tokens, p => Assert.True(p.Value > 0));
        var firstChunk = points.Where(p => p.Instrument == "gen_ai.client.operation.time_to_first_chunk" && (string?)p.Tag("gen_ai.request.model") == backup).ToList();
        Assert.Equal(streaming ? 1 : 0, firstChunk.Sum(p => p.Count));
        Assert.Contains(points, p => p.Instrument == "skfallback.attempts" && (string?)p.Tag("gen_ai.request.model") == primary && (string?)p.Tag("skfallback.outcome") == "ServerError");
        Assert.Contains(points, p => p.Instrument == "skfallback.fallbacks" && (string?)p.Tag("skfallback.provider") == "primary");
    }

    [Theory]
    [MemberData(nameof(WiresAndModes))]
    public async Task EveryProviderFails_TheCallSpanEndsInErrorNamingTheKind(WireFormat wire, bool streaming)
    {
        string a = Name("otel-ex-a", wire, streaming), b = Name("otel-ex-b", wire, streaming);
        Sim.Model(a).Always(SimulatedBehavior.ServerError());
        Sim.Model(b).Always(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(1)));
        using var capture = new OtelCapture();
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.Add(_fixture.Provider("a", a, wire));
        options.Add(_fixture.Provider("b", b, wire));
        using var client = new FallbackChatClient(options);

        await Assert.ThrowsAsync<FallbackExhaustedException>(() => Ask(client, streaming));

        var trace = capture.TraceOf(a);
        var call = Assert.Single(trace, s => s.Kind == ActivityKind.Internal);
        Assert.Equal(ActivityStatusCode.Error, call.Status);
        Assert.Equal("Unknown", call.GetTagItem("error.type"));
        Assert.Equal(2, call.GetTagItem("skfallback.attempt_count"));
        Assert.Equal(2, call.Events.Count(e => e.Name == "skfallback.attempt_failed"));
        var attempts = trace.Where(s => s.Kind == ActivityKind.Client).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(["ServerError", "RateLimited"], attempts.Select(s => (string?)s.GetTagItem("error.type")));
        Assert.All(attempts, s => Assert.Equal(call.SpanId, s.ParentSpanId));
        Assert.Equal("ServerError", attempts[1].GetTagItem("skfallback.fallback.reason"));
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task CallerLeavesMidStream_TheAttemptSpanEndsCancelled(WireFormat wire)
    {
        var model = Name("otel-left", wire, true);
        Sim.Model(model).WithLatency(new LatencyProfile(TimeSpan.Zero, 20, 0));
        using var capture = new OtelCapture();
        var options = new FallbackOptions();
        options.Streaming.CommitChunks = 1;
        options.Add(_fixture.Provider("only", model, wire));
        using var client = new FallbackChatClient(options);

        await foreach (var update in client.GetStreamingResponseAsync("Name a colour.", cancellationToken: TestContext.Current.CancellationToken))
        {
            if (!string.IsNullOrEmpty(update.Text))
            {
                break;
            }
        }

        var trace = capture.TraceOf(model);
        var attempt = Assert.Single(trace, s => s.Kind == ActivityKind.Client);
        Assert.Equal("Cancelled", attempt.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, attempt.Status);
        Assert.NotNull(attempt.GetTagItem("gen_ai.response.time_to_first_chunk"));
        var call = Assert.Single(trace, s => s.Kind == ActivityKind.Internal);
        Assert.Equal(call.SpanId, attempt.ParentSpanId);
        Assert.True(attempt.Duration > TimeSpan.Zero);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task Continuation_TheContinuingAttemptNamesTheBrokenProvider(WireFormat wire)
    {
        string primary = Name("otel-cont-a", wire, true), backup = Name("otel-cont-b", wire, true);
        Sim.Model(primary).Always(SimulatedBehavior.DropAfter(6));
        using var capture = new OtelCapture();
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.Streaming.CommitChunks = 2;
        options.Add(_fixture.Provider("primary", primary, wire));
        options.Add(_fixture.Provider("backup", backup, wire));
        using var client = new FallbackChatClient(options);

        var text = await Ask(client, streaming: true);

        Assert.False(string.IsNullOrWhiteSpace(text));
        var trace = capture.TraceOf(primary);
        var call = Assert.Single(trace, s => s.DisplayName == "skfallback.chat.stream");
        var genAi = wire == WireFormat.OpenAI ? "openai" : "anthropic";
        var broken = Assert.Single(trace, s => (string?)s.GetTagItem("gen_ai.request.model") == primary);
        AssertAttemptOf(call, broken, primary, genAi, Sim);
        Assert.Equal("ConnectionFailure", broken.GetTagItem("error.type"));
        Assert.NotNull(broken.GetTagItem("gen_ai.response.time_to_first_chunk"));
        var continued = Assert.Single(trace, s => (string?)s.GetTagItem("gen_ai.request.model") == backup);
        AssertAttemptOf(call, continued, backup, genAi, Sim);
        Assert.Equal("primary", continued.GetTagItem("skfallback.continued_from"));
        Assert.Equal("ConnectionFailure", continued.GetTagItem("skfallback.fallback.reason"));
        Assert.Null(continued.GetTagItem("error.type"));
        Assert.Equal(["stop"], Assert.IsType<string[]>(continued.GetTagItem("gen_ai.response.finish_reasons")));
        Assert.Null(broken.GetTagItem("skfallback.continued_from"));
    }

    [Theory]
    [MemberData(nameof(WiresAndModes))]
    public async Task ParallelRace_EachRacerHasItsOwnSpan_ParentedToTheCall(WireFormat wire, bool streaming)
    {
        string primary = Name("otel-race-a", wire, streaming), backup = Name("otel-race-b", wire, streaming);
        Sim.Model(primary).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(400), 0, 0));
        using var capture = new OtelCapture();
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.Add(_fixture.Provider("primary", primary, wire));
        options.Add(_fixture.Provider("backup", backup, wire));
        options.Routing.Hedging.Mode = HedgingMode.Parallel;
        options.Routing.Hedging.MaxExtraAttemptFraction = 1;
        using var client = new FallbackChatClient(options);

        var text = await Ask(client, streaming);

        Assert.Equal(Sim.ExpectedReply(backup, "Name a colour."), text);
        var trace = await capture.TraceOfAsync(primary, 3);
        Assert.Equal(3, trace.Count);
        var call = Assert.Single(trace, s => s.ParentSpanId == default);
        Assert.Equal("backup", call.GetTagItem("skfallback.provider"));
        var genAi = wire == WireFormat.OpenAI ? "openai" : "anthropic";
        var loser = Assert.Single(trace, s => (string?)s.GetTagItem("gen_ai.request.model") == primary);
        var winner = Assert.Single(trace, s => (string?)s.GetTagItem("gen_ai.request.model") == backup);
        AssertAttemptOf(call, loser, primary, genAi, Sim);
        AssertAttemptOf(call, winner, backup, genAi, Sim);
        Assert.NotEqual(loser.SpanId, winner.SpanId);
        Assert.Equal("primary", loser.GetTagItem("skfallback.race.role"));
        Assert.Equal("hedge", winner.GetTagItem("skfallback.race.role"));
        Assert.Equal("Cancelled", loser.GetTagItem("error.type"));
        Assert.Null(winner.GetTagItem("error.type"));
        Assert.Equal(backup, winner.GetTagItem("gen_ai.response.model"));

        // Both started at once: the winner's span is not nested in (nor started after the end of) the loser's.
        Assert.True(winner.StartTimeUtc < loser.StartTimeUtc + loser.Duration);
    }
}
