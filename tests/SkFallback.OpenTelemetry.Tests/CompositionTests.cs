using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Simulator;

namespace SkFallback.OpenTelemetry.Tests;

/// <summary>
/// MEAI's <c>UseOpenTelemetry()</c> above the chain: one outer <c>chat</c> span (MEAI's), the chain's call span under it,
/// and one attempt span per attempt; the providers' SDKs (OpenAI's <c>AsIChatClient</c>, Anthropic's) add no chat span
/// of their own, so no attempt is traced twice.
/// </summary>
[Collection(nameof(AttemptSpanTests))]
public sealed class CompositionTests : IClassFixture<SimulatorFixture>
{
    private const string MeaiSource = "Experimental.Microsoft.Extensions.AI";
    private readonly SimulatorFixture _fixture;

    public CompositionTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    public static TheoryData<WireFormat, bool> WiresAndModes() => AttemptSpanTests.WiresAndModes();

    [Theory]
    [MemberData(nameof(WiresAndModes))]
    public async Task UseOpenTelemetryAboveTheChain_OneOuterChatSpan_ThenTheCallAndItsAttempts(WireFormat wire, bool streaming)
    {
        var tag = $"{wire}-{(streaming ? "s" : "r")}".ToLowerInvariant();
        string primary = $"otel-meai-a-{tag}", backup = $"otel-meai-b-{tag}";
        var sim = _fixture.Simulator;
        sim.Model(primary).Always(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(1)));

        // Every source in the process: whatever the SDKs under the chain might trace is seen.
        using var capture = new OtelCapture(MeaiSource, "*");
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.Add(_fixture.Provider("primary", primary, wire));
        options.Add(_fixture.Provider("backup", backup, wire));
        using var chain = new FallbackChatClient(options);
        using var client = chain.AsBuilder().UseOpenTelemetry().Build();

        await AttemptSpanTests.Ask(client, streaming);

        var trace = capture.TraceOf(primary);
        TestContext.Current.TestOutputHelper?.WriteLine(OtelCapture.Describe(trace));
        var outer = Assert.Single(trace, s => s.Source.Name == MeaiSource);
        Assert.Equal(default, outer.ParentSpanId);
        Assert.Equal($"chat {primary}", outer.DisplayName);
        var call = Assert.Single(trace, s => s.Source.Name == FallbackTelemetry.SourceName && s.Kind == ActivityKind.Internal);
        Assert.Equal(outer.SpanId, call.ParentSpanId);
        var attempts = trace.Where(s => s.Source.Name == FallbackTelemetry.SourceName && s.Kind == ActivityKind.Client).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(call.SpanId, a.ParentSpanId));
        Assert.Equal(["RateLimited", null], attempts.OrderBy(a => a.StartTimeUtc).Select(a => (string?)a.GetTagItem("error.type")));

        // The GenAI operations: MEAI's one outer span and the attempts, nothing else (the call span is no GenAI operation).
        var chatSpans = trace.Where(s => (string?)s.GetTagItem("gen_ai.operation.name") == "chat").ToList();
        Assert.Equal(3, chatSpans.Count);
        Assert.Equal(2, trace.Count(s => s.Source.Name == "System.Net.Http" && s.Kind == ActivityKind.Client));
        Assert.All(trace.Where(s => s.Source.Name == "System.Net.Http"), http => Assert.Contains(attempts, a => a.SpanId == http.ParentSpanId));
    }
}
