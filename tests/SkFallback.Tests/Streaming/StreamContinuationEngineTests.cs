using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.AI;
using SkFallback.Simulator;
using SkFallback.Streaming;
using SkFallback.Tests.Wire;

namespace SkFallback.Tests.Streaming;

/// <summary>
/// The chain continuing a broken stream over real HTTP with the real SDKs: the caller's joined text is the
/// simulator's deterministic full answer, whichever wire each side speaks and wherever the cut falls.
/// </summary>
public sealed class StreamContinuationEngineTests : IClassFixture<SimulatorFixture>
{
    private const string Question = "Plan a day trip to the coast with two stops.";
    private readonly SimulatorFixture _fixture;

    public StreamContinuationEngineTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProviderSimulator Sim => _fixture.Simulator;

    /// <summary>Two providers serving the same model id (so their answers match) over the given wires.</summary>
    private FallbackChatClient Chain(string model, WireFormat first, WireFormat second, Action<FallbackOptions>? configure = null)
    {
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, AttemptTimeout = TimeSpan.FromSeconds(20), FirstTokenTimeout = TimeSpan.FromSeconds(10) };
        options.Add(_fixture.Provider("first", model, first));
        options.Add(_fixture.Provider("second", model, second));
        configure?.Invoke(options);
        return new FallbackChatClient(options);
    }

    private static async Task<(string Text, List<ChatResponseUpdate> Updates)> ReadAsync(IChatClient client, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question, cancellationToken: cancellationToken))
        {
            updates.Add(update);
            text.Append(update.Text);
        }

        return (text.ToString(), updates);
    }

    public static TheoryData<WireFormat, WireFormat, int> Cuts()
    {
        var data = new TheoryData<WireFormat, WireFormat, int>();
        foreach (var (first, second) in new[] { (WireFormat.OpenAI, WireFormat.Anthropic), (WireFormat.Anthropic, WireFormat.OpenAI), (WireFormat.OpenAI, WireFormat.OpenAI), (WireFormat.Anthropic, WireFormat.Anthropic) })
        {
            // Before the commit point (8 updates), at it, and after it.
            foreach (var cut in new[] { 3, 8, 9, 14, 20 })
            {
                data.Add(first, second, cut);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cuts))]
    public async Task DroppedAfterNTokens_CallerReadsTheFullAnswerOnce(WireFormat first, WireFormat second, int cut)
    {
        var model = $"cont-drop-{first}-{second}-{cut}".ToLowerInvariant();
        Sim.Model(model).Then(SimulatedBehavior.DropAfter(cut));
        using var client = Chain(model, first, second);

        var (text, updates) = await ReadAsync(client, Ct);

        Assert.Equal(Sim.ExpectedReply(model, Question), text);
        var requests = Sim.RequestsFor(model);
        Assert.Equal(2, requests.Count);
        var attempts = (IReadOnlyList<FallbackAttempt>)updates[^1].AdditionalProperties![FallbackMetadataKeys.Attempts]!;
        Assert.Equal(FailureKind.ConnectionFailure, attempts[0].Outcome);
        Assert.True(attempts[^1].Succeeded);
        Assert.Equal("second", updates[^1].AdditionalProperties![FallbackMetadataKeys.Provider]);
        if (cut < 8)
        {
            // Inside the commit buffer: switched invisibly, the second provider answered from the start.
            Assert.Equal(ContinuationKind.None, requests[1].Continuation);
            Assert.False(updates[^1].AdditionalProperties!.ContainsKey(FallbackMetadataKeys.ContinuedFrom));
        }
        else
        {
            Assert.Equal(second == WireFormat.Anthropic ? ContinuationKind.Prefill : ContinuationKind.Instructed, requests[1].Continuation);
            Assert.Equal(["first", "second"], (IReadOnlyList<string>)updates[^1].AdditionalProperties![FallbackMetadataKeys.ContinuedFrom]!);
            Assert.Contains(updates, u => u.AdditionalProperties?.TryGetValue(FallbackMetadataKeys.Provider, out var p) == true && (string?)p == "first");

            // The continuation's first text update names the provider that wrote from there on.
            var seam = updates.FindIndex(u => !string.IsNullOrEmpty(u.Text) && u.AdditionalProperties?.TryGetValue(FallbackMetadataKeys.Provider, out var p) == true && (string?)p == "second");
            Assert.True(seam > 0);
            var before = string.Concat(updates.Take(seam).Select(u => u.Text));
            Assert.Equal(cut, before.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        }
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI)]
    public async Task TruncatedAfterCommit_IsNeverSuccess_AndIsContinued(WireFormat first, WireFormat second)
    {
        var model = $"cont-trunc-{first}-{second}".ToLowerInvariant();
        Sim.Model(model).Then(SimulatedBehavior.TruncateAfter(12));
        using var client = Chain(model, first, second);

        var (text, updates) = await ReadAsync(client, Ct);

        Assert.Equal(Sim.ExpectedReply(model, Question), text);
        var attempts = (IReadOnlyList<FallbackAttempt>)updates[^1].AdditionalProperties![FallbackMetadataKeys.Attempts]!;
        Assert.Equal(FailureKind.TruncatedStream, attempts[0].Outcome);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI)]
    public async Task StalledAfterCommit_DetectedWithinTheStallTimeout_AndContinued(WireFormat first, WireFormat second)
    {
        var model = $"cont-stall-{first}-{second}".ToLowerInvariant();
        Sim.Model(model).Then(SimulatedBehavior.Stall(12, TimeSpan.FromSeconds(30)));
        using var client = Chain(model, first, second, o => o.Streaming.StallTimeout = TimeSpan.FromMilliseconds(400));
        var clock = Stopwatch.StartNew();

        var (text, updates) = await ReadAsync(client, Ct);

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10));
        Assert.Equal(Sim.ExpectedReply(model, Question), text);
        var attempts = (IReadOnlyList<FallbackAttempt>)updates[^1].AdditionalProperties![FallbackMetadataKeys.Attempts]!;
        Assert.Equal(FailureKind.Stalled, attempts[0].Outcome);
        await Sim.WaitForRequestsToEndAsync(Ct);
        Assert.True(Sim.RequestsFor(model)[0].Aborted);
    }

    [Fact]
    public async Task ContentFilterMidStream_IsContinuedOnTheNextProvider()
    {
        var model = "cont-filter-openai";
        Sim.Model(model).Then(SimulatedBehavior.ContentFilterAfter(12));
        using var client = Chain(model, WireFormat.OpenAI, WireFormat.Anthropic);

        var (text, updates) = await ReadAsync(client, Ct);

        Assert.Equal(Sim.ExpectedReply(model, Question), text);
        var attempts = (IReadOnlyList<FallbackAttempt>)updates[^1].AdditionalProperties![FallbackMetadataKeys.Attempts]!;
        Assert.Equal(FailureKind.Refusal, attempts[0].Outcome);
    }

    [Fact]
    public async Task BufferWhole_BreakAfterManyTokens_SwitchesInvisibly()
    {
        var model = "cont-buffer-whole";
        Sim.Model(model).Then(SimulatedBehavior.DropAfter(15));
        using var client = Chain(model, WireFormat.OpenAI, WireFormat.OpenAI, o => o.Streaming.Mode = StreamingMode.BufferWhole);

        var (text, _) = await ReadAsync(client, Ct);

        Assert.Equal(Sim.ExpectedReply(model, Question), text);
        Assert.Equal(ContinuationKind.None, Sim.RequestsFor(model)[1].Continuation);
    }

    [Fact]
    public async Task BufferWhole_ChosenPerRequest()
    {
        var model = "cont-buffer-request";
        Sim.Model(model).Then(SimulatedBehavior.DropAfter(15));
        using var client = Chain(model, WireFormat.Anthropic, WireFormat.Anthropic);
        var options = new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.StreamingMode] = "BufferWhole" } };

        var text = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync(Question, options, Ct))
        {
            text.Append(update.Text);
        }

        Assert.Equal(Sim.ExpectedReply(model, Question), text.ToString());
        Assert.Equal(ContinuationKind.None, Sim.RequestsFor(model)[1].Continuation);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task BreakInsideToolCallArguments_RestartsAndTheToolRunsOnce(WireFormat wire)
    {
        var model = $"cont-tool-{wire}".ToLowerInvariant();
        Sim.Model(model).Then(SimulatedBehavior.ToolCallDropAfter("get_weather", """{"city":"Lisbon","unit":"celsius"}""", 2))
            .Then(SimulatedBehavior.ToolCall("get_weather", """{"city":"Lisbon","unit":"celsius"}"""));
        var runs = 0;
        var tool = AIFunctionFactory.Create((string city, string unit) => { Interlocked.Increment(ref runs); return $"sunny in {city}"; }, "get_weather");
        using var chain = Chain(model, wire, wire);
        using var client = new ChatClientBuilder(chain).UseFunctionInvocation().Build();

        var text = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("What is the weather in Lisbon?", new ChatOptions { Tools = [tool] }, Ct))
        {
            text.Append(update.Text);
        }

        Assert.Equal(1, runs);
        Assert.Contains("sunny in Lisbon", text.ToString(), StringComparison.Ordinal);
        Assert.All(Sim.RequestsFor(model), r => Assert.Equal(ContinuationKind.None, r.Continuation));
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task CallerCancelsMidStream_EveryProviderRequestIsAborted(WireFormat wire)
    {
        var model = $"cont-cancel-{wire}".ToLowerInvariant();
        Sim.Model(model).WithLatency(new LatencyProfile(TimeSpan.Zero, 40, 0));
        using var client = Chain(model, wire, wire);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Question, cancellationToken: cts.Token))
            {
                if (++seen == 10)
                {
                    await cts.CancelAsync();
                }
            }
        });

        await Sim.WaitForRequestsToEndAsync(Ct);
        var request = Assert.Single(Sim.RequestsFor(model));
        Assert.True(request.Aborted);
        Assert.True(request.ContentTokensSent < Sim.ExpectedReply(model, Question).Split(' ').Length);
    }
}
