using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using SkFallback.Simulator;

namespace SkFallback.Tests.Wire;

/// <summary>
/// The fallback sits under the function-invocation loop: a provider that fails after asking for a tool does not
/// make the tool run again, and the next provider finishes the turn with the tool's result.
/// </summary>
public class ToolLoopTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _fixture;

    public ToolLoopTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private (IChatClient Client, Func<int> Invocations, AIFunction Tool) Build(string a, WireFormat aWire, string b, WireFormat bWire)
    {
        var sim = _fixture.Simulator;
        sim.Model(a).Then(SimulatedBehavior.ToolCall("get_weather", """{"city":"Paris"}""")).Always(SimulatedBehavior.ServerError(503));
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, AttemptTimeout = TimeSpan.FromSeconds(10) };
        options.Add(_fixture.Provider("primary", a, aWire));
        options.Add(_fixture.Provider("backup", b, bWire));
        var invocations = 0;
        var tool = AIFunctionFactory.Create((string city) =>
        {
            Interlocked.Increment(ref invocations);
            return $"sunny and 21 C in {city}";
        }, "get_weather", "Gets the weather for a city.");
        return (new FallbackChatClient(options), () => Volatile.Read(ref invocations), tool);
    }

    private void AssertOneToolRunThenBackupFinished(string a, string b, Func<int> invocations, string answer)
    {
        var sim = _fixture.Simulator;
        Assert.Equal(1, invocations());
        Assert.Contains("The tool get_weather returned:", answer, StringComparison.Ordinal);
        Assert.Contains("sunny and 21 C in Paris", answer, StringComparison.Ordinal);

        var primary = sim.RequestsFor(a);
        Assert.Equal(2, primary.Count);
        Assert.False(primary[0].HasToolResults);
        Assert.True(primary[1].HasToolResults);
        Assert.Equal(503, primary[1].StatusCode);
        var backup = Assert.Single(sim.RequestsFor(b));
        Assert.True(backup.HasToolResults);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic, false)]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic, true)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI, false)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI, true)]
    public async Task FunctionInvocation_PrimaryFailsAfterToolCall_ToolRunsOnceAndBackupUsesResult(WireFormat aWire, WireFormat bWire, bool streaming)
    {
        var a = $"meai-a-{aWire}-{streaming}-2024-01-01".ToLowerInvariant();
        var b = $"meai-b-{aWire}-{streaming}-2024-01-01".ToLowerInvariant();
        var (fallback, invocations, tool) = Build(a, aWire, b, bWire);
        using var client = fallback.AsBuilder().UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [tool] };
        var ct = TestContext.Current.CancellationToken;

        ChatResponse response;
        if (streaming)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in client.GetStreamingResponseAsync("What is the weather in Paris?", options, ct))
            {
                updates.Add(update);
            }

            response = updates.ToChatResponse();
        }
        else
        {
            response = await client.GetResponseAsync("What is the weather in Paris?", options, ct);
        }

        AssertOneToolRunThenBackupFinished(a, b, invocations, response.Messages[^1].Text);
        Assert.Equal("backup", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChatClientAgent_PrimaryFailsAfterToolCall_ToolRunsOnceAndBackupUsesResult(bool streaming)
    {
        var a = $"agent-a-{streaming}-2024-01-01".ToLowerInvariant();
        var b = $"agent-b-{streaming}-2024-01-01".ToLowerInvariant();
        var (fallback, invocations, tool) = Build(a, WireFormat.OpenAI, b, WireFormat.Anthropic);
        using var _ = fallback;
        var agent = new ChatClientAgent(fallback, instructions: "You answer weather questions.", name: "weather", tools: [tool]);
        var ct = TestContext.Current.CancellationToken;

        string answer;
        if (streaming)
        {
            var text = new System.Text.StringBuilder();
            await foreach (var update in agent.RunStreamingAsync("What is the weather in Paris?", cancellationToken: ct))
            {
                text.Append(update.Text);
            }

            answer = text.ToString();
        }
        else
        {
            var response = await agent.RunAsync("What is the weather in Paris?", cancellationToken: ct);
            answer = response.Messages[^1].Text;
        }

        AssertOneToolRunThenBackupFinished(a, b, invocations, answer);
    }
}
