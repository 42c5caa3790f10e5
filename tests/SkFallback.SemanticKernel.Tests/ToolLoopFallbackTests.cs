using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback.Simulator;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>A provider that fails in the middle of a tool loop: the function runs once and the next provider finishes the turn.</summary>
public sealed class ToolLoopFallbackTests
{
    public static TheoryData<WireFormat, WireFormat> Wires => new()
    {
        { WireFormat.OpenAI, WireFormat.Anthropic },
        { WireFormat.Anthropic, WireFormat.OpenAI },
    };

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetChatMessageContentsAsync_FirstProviderFailsAfterToolCall_FunctionRunsOnceAndSecondProviderAnswers(WireFormat wireA, WireFormat wireB)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments)).Always(SimulatedBehavior.ServerError(503));
        var plugin = new WeatherPlugin();
        var kernel = Chains.Kernel(simulator, wireA, wireB, plugin);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        var answer = await chat.GetChatMessageContentAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken);

        Assert.Equal(1, plugin.Invocations);
        Assert.StartsWith("The tool ", answer.Content, StringComparison.Ordinal);
        Assert.Contains("returned: ", answer.Content, StringComparison.Ordinal);
        Assert.Contains("sunny in Paris", answer.Content, StringComparison.Ordinal);
        AssertRoundTrips(simulator, wireA, wireB, streaming: false);
        Assert.Equal("B", Chains.Provider(answer.Metadata));
        Assert.Equal(Chains.ModelB, answer.Metadata![FallbackMetadataKeys.Model]);
        var attempts = Chains.Attempts(answer.Metadata);
        Assert.Equal("B", attempts[^1].Provider);
        Assert.True(attempts[^1].Succeeded);
        Assert.Contains(attempts, a => a.Provider == "A" && a.Outcome == FailureKind.ServerError);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetStreamingChatMessageContentsAsync_FirstProviderFailsAfterToolCall_FunctionRunsOnceAndSecondProviderAnswers(WireFormat wireA, WireFormat wireB)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments)).Always(SimulatedBehavior.ServerError(503));
        var plugin = new WeatherPlugin();
        var kernel = Chains.Kernel(simulator, wireA, wireB, plugin);
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var history = Chains.Ask();

        var chunks = await Chains.CollectAsync(chat.GetStreamingChatMessageContentsAsync(history, Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken));

        Assert.Equal(1, plugin.Invocations);
        var text = Chains.Text(chunks);
        Assert.Contains("The tool ", text, StringComparison.Ordinal);
        Assert.Contains("sunny in Paris", text, StringComparison.Ordinal);
        AssertRoundTrips(simulator, wireA, wireB, streaming: true);
        var last = Chains.LastAnnotated(chunks);
        Assert.Equal("B", Chains.Provider(last));
        var attempts = Chains.Attempts(last);
        Assert.True(attempts[^1].Succeeded);
        Assert.Equal("B", attempts[^1].Provider);

        // The tool call and its result reached the caller's history, as with any Semantic Kernel connector.
        Assert.Contains(history, m => m.Items.OfType<FunctionResultContent>().Any());
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic, false)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI, false)]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic, true)]
    public async Task GetChatMessageContentsAsync_ToolCallFromFallbackProvider_RestOfTurnStaysOnThatProvider(WireFormat wireA, WireFormat wireB, bool streaming)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

        // A fails the first round trip (and its retry), then recovers; B asks for the tool.
        simulator.Model(Chains.ModelA).Then(SimulatedBehavior.ServerError(503), 2);
        simulator.Model(Chains.ModelB).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments));
        var plugin = new WeatherPlugin();
        var kernel = Chains.Kernel(simulator, wireA, wireB, plugin);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        var answeredBy = await AskAsync(chat, kernel, streaming);

        Assert.Equal(1, plugin.Invocations);
        Assert.Equal("B", answeredBy);
        Assert.Equal(2, simulator.RequestsFor(Chains.ModelA).Count);
        var b = simulator.RequestsFor(Chains.ModelB);
        Assert.Equal(2, b.Count);
        Assert.True(b[1].HasToolResults);

        // The pin lasts one turn: the next turn starts at the head of the chain again.
        Assert.Equal("A", await AskAsync(chat, kernel, streaming));
    }

    private static async Task<string?> AskAsync(IChatCompletionService chat, Kernel kernel, bool streaming)
    {
        if (streaming)
        {
            var chunks = await Chains.CollectAsync(chat.GetStreamingChatMessageContentsAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken));
            return Chains.Provider(Chains.LastAnnotated(chunks));
        }

        var answer = await chat.GetChatMessageContentAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken);
        return Chains.Provider(answer.Metadata);
    }

    private static void AssertRoundTrips(ProviderSimulator simulator, WireFormat wireA, WireFormat wireB, bool streaming)
    {
        var requests = simulator.Requests;
        var first = requests[0];
        Assert.Equal(Chains.ModelA, first.Model);
        Assert.Equal(wireA, first.Wire);
        Assert.Equal(streaming, first.Stream);
        Assert.False(first.HasToolResults);
        Assert.Equal("tool_call", first.BehaviorName);

        var a = simulator.RequestsFor(Chains.ModelA);
        Assert.All(a.Skip(1), r => Assert.Equal(503, r.StatusCode));

        var b = Assert.Single(simulator.RequestsFor(Chains.ModelB));
        Assert.Equal(wireB, b.Wire);
        Assert.True(b.HasToolResults, "B's request should carry the tool result");
        Assert.Contains("sunny in Paris", b.Body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(200, b.StatusCode);
    }
}
