using System.Diagnostics;
using System.Text;
using Anthropic.Models.Messages;
using Microsoft.Extensions.AI;
using OpenAI.Chat;

namespace SkFallback.Simulator.Tests;

/// <summary>Faults inside a stream that an engine continuing streams must meet: a tool call cut in its arguments, a content filter mid-answer, a heavy latency tail.</summary>
public sealed class StreamFaultTests
{
    private const string Arguments = """{"city":"Saint-Malo","days":3,"units":"metric"}""";

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenAIStreaming_ToolCallDropAfterFragments_SendsTheOpeningAndThoseFragmentsThenDrops()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Then(SimulatedBehavior.ToolCallDropAfter("get_weather", Arguments, 2));
        var client = SimulatorClients.OpenAI(simulator, "m");
        var arguments = new StringBuilder();
        string? name = null;
        global::OpenAI.Chat.ChatFinishReason? finish = null;

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Weather?")], cancellationToken: TestToken))
            {
                foreach (var toolUpdate in update.ToolCallUpdates)
                {
                    name ??= toolUpdate.FunctionName;
                    arguments.Append(toolUpdate.FunctionArgumentsUpdate?.ToString());
                }

                finish ??= update.FinishReason;
            }
        });

        Assert.True(SimulatorClients.HasIOException(error), SimulatorClients.Chain(error));
        Assert.Equal("get_weather", name);
        Assert.Equal(Arguments[..16], arguments.ToString());
        Assert.Null(finish);
        await simulator.WaitForRequestsToEndAsync(TestToken);
        var recorded = Assert.Single(simulator.Requests);
        Assert.Equal("tool_call_drop_after", recorded.BehaviorName);
        Assert.False(recorded.Aborted);
    }

    [Fact]
    public async Task AnthropicStreaming_ToolCallDropAfterFragments_LeavesTheToolUseBlockOpen()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("c").Then(SimulatedBehavior.ToolCallDropAfter("get_weather", Arguments, 3));
        var client = SimulatorClients.Anthropic(simulator);
        var partialJson = new StringBuilder();
        var blockStopped = false;
        var parameters = new MessageCreateParams { Model = "c", MaxTokens = 256, Messages = [new UserMessageParam { Content = "Weather?" }] };

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var streamEvent in client.Messages.CreateStreaming(parameters, TestToken))
            {
                if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var json))
                {
                    partialJson.Append(json.PartialJson);
                }

                blockStopped |= streamEvent.TryPickContentBlockStop(out _);
            }
        });

        Assert.True(SimulatorClients.HasIOException(error), SimulatorClients.Chain(error));
        Assert.Equal(Arguments[..24], partialJson.ToString());
        Assert.False(blockStopped);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task ChatClientStreaming_ToolCallDropAfter_SurfacesNoFunctionCallAndThrows(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Then(SimulatedBehavior.ToolCallDropAfter("get_weather", Arguments, 1));
        var client = SimulatorClients.Chat(simulator, wire, "m");
        var calls = 0;

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("Weather?", cancellationToken: TestToken))
            {
                calls += update.Contents.OfType<FunctionCallContent>().Count();
            }
        });

        Assert.True(SimulatorClients.HasIOException(error), SimulatorClients.Chain(error));
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task ChatClientStreaming_ContentFilterAfterTokens_StreamsThemThenFinishesWithContentFilter(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Then(SimulatedBehavior.ContentFilterAfter(5));
        var client = SimulatorClients.Chat(simulator, wire, "m");
        var text = new StringBuilder();
        Microsoft.Extensions.AI.ChatFinishReason? finish = null;

        await foreach (var update in client.GetStreamingResponseAsync("Tell me", cancellationToken: TestToken))
        {
            text.Append(update.Text);
            finish ??= update.FinishReason;
        }

        var full = simulator.ExpectedReply("m", "Tell me");
        Assert.Equal(string.Join(' ', full.Split(' ')[..5]), text.ToString());
        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.ContentFilter, finish);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task ChatClient_ContentFilterAfterTokens_ReturnsThePartialTextWithContentFilter(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Then(SimulatedBehavior.ContentFilterAfter(3));
        var client = SimulatorClients.Chat(simulator, wire, "m");

        var response = await client.GetResponseAsync("Tell me", cancellationToken: TestToken);

        Assert.Equal(string.Join(' ', simulator.ExpectedReply("m", "Tell me").Split(' ')[..3]), response.Text);
        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.ContentFilter, response.FinishReason);
    }

    [Fact]
    public async Task SlowFraction_HeavyTail_SlowsASeededShareOfRequests()
    {
        var slow = TimeSpan.FromMilliseconds(200);
        var latency = new LatencyProfile(TimeSpan.Zero, 0, 0) { SlowFraction = 0.4, SlowTimeToFirstToken = slow };
        var runs = new List<bool[]>();
        for (var run = 0; run < 2; run++)
        {
            await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
            simulator.Model("tail").WithLatency(latency);
            var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "tail");
            var elapsed = new List<TimeSpan>();
            for (var i = 0; i < 12; i++)
            {
                var clock = Stopwatch.StartNew();
                await client.GetResponseAsync("hi", cancellationToken: TestToken);
                elapsed.Add(clock.Elapsed);
            }

            var flags = simulator.Requests.Select(r => r.SlowFirstToken).ToArray();

            // Delays only lengthen under load, so the slow ones are checked from below.
            Assert.All(elapsed.Where((_, i) => flags[i]), e => Assert.True(e >= slow * 0.9, e.ToString()));
            runs.Add(flags);
        }

        // The same seed slows the same requests; some are slow and most are not.
        Assert.Equal(runs[0], runs[1]);
        Assert.InRange(runs[0].Count(s => s), 1, 9);
    }

    [Fact]
    public async Task WithLatency_SlowFractionOutOfRange_Throws()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);

        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.Model("m").WithLatency(new LatencyProfile(TimeSpan.Zero, 0, 0) { SlowFraction = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.Model("m").WithLatency(new LatencyProfile(TimeSpan.Zero, 0, 0) { SlowTimeToFirstToken = TimeSpan.FromSeconds(-1) }));
    }

    [Fact]
    public async Task LoadScript_NewBehaviorsAndTail_AreRead()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.LoadScript("""
            {"models":{"m":{
              "then":[{"kind":"tool_call_drop_after","functionName":"f","arguments":{"a":1},"fragments":1},{"kind":"content_filter_after","tokens":2}],
              "latency":{"ttftMs":0,"slowFraction":1,"slowTtftMs":1}}}}
            """);
        var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "m");

        await Assert.ThrowsAnyAsync<Exception>(async () => await client.GetStreamingResponseAsync("x", cancellationToken: TestToken).ToListAsync(TestToken));
        var filtered = await client.GetResponseAsync("x", cancellationToken: TestToken);

        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.ContentFilter, filtered.FinishReason);
        Assert.Equal(["tool_call_drop_after", "content_filter_after"], simulator.Requests.Select(r => r.BehaviorName));
    }
}
