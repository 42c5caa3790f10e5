using System.Text;
using Microsoft.Extensions.AI;

namespace SkFallback.Simulator.Tests;

/// <summary>Both SDKs through their Microsoft.Extensions.AI adapters, as the fallback engine sees them.</summary>
public sealed class ChatClientFaultTests
{
    private const string Model = "sim-model";

    public static TheoryData<WireFormat> Wires => [WireFormat.OpenAI, WireFormat.Anthropic];

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    private static async Task<(string Text, List<ChatResponseUpdate> Updates, Exception? Error)> DrainAsync(IChatClient client, string prompt, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var updates = new List<ChatResponseUpdate>();
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(prompt, cancellationToken: cancellationToken))
            {
                updates.Add(update);
                text.Append(update.Text);
            }
        }
        catch (Exception exception)
        {
            SimulatorClients.Observe($"observed {TestContext.Current.Test?.TestDisplayName}: {SimulatorClients.Chain(exception)}");
            return (text.ToString(), updates, exception);
        }

        return (text.ToString(), updates, null);
    }

    private static string FirstWords(string text, int count) => string.Concat(text.Split(' ').Take(count).Select((w, i) => i == 0 ? w : " " + w));

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_Ok_TextEqualsExpectedReplyWithUsage(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var response = await client.GetResponseAsync("What is a fallback chain?", cancellationToken: TestToken);

        Assert.Equal(simulator.ExpectedReply(Model, "What is a fallback chain?"), response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(24, response.Usage?.OutputTokenCount);
        Assert.Equal("What is a fallback chain?".Length / 4, response.Usage?.InputTokenCount);
        var recorded = Assert.Single(simulator.Requests);
        Assert.Equal(wire, recorded.Wire);
        Assert.Equal(200, recorded.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetStreamingResponse_Ok_TextEqualsExpectedReplyWithFinishAndUsage(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var (text, updates, error) = await DrainAsync(client, "Stream it", TestToken);

        Assert.Null(error);
        Assert.Equal(simulator.ExpectedReply(Model, "Stream it"), text);
        Assert.Contains(updates, u => u.FinishReason == ChatFinishReason.Stop);
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Last();
        Assert.Equal(24, usage.Details.OutputTokenCount);
        Assert.True(Assert.Single(simulator.Requests).Stream);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_ToolCallThenResult_SecondAnswerUsesToolResult(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.ToolCall("get_weather", """{"city":"Paris"}"""));
        using var client = SimulatorClients.Chat(simulator, wire, Model);
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => "sunny", "get_weather", "Weather of a city")] };
        List<ChatMessage> history = [new(ChatRole.User, "Weather in Paris?")];

        var first = await client.GetResponseAsync(history, options, TestToken);
        var call = first.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, "sunny and 21 C")]));
        var second = await client.GetResponseAsync(history, options, TestToken);

        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", call.Arguments?["city"]?.ToString());
        SimulatorClients.Observe($"tool answer: {second.Text}");
        Assert.StartsWith("The tool get_weather returned: ", second.Text, StringComparison.Ordinal);
        Assert.Contains("sunny and 21 C", second.Text, StringComparison.Ordinal);
        Assert.EndsWith(simulator.ExpectedReply(Model, "Weather in Paris?"), second.Text, StringComparison.Ordinal);
        var recorded = simulator.RequestsFor(Model);
        Assert.Equal(["tool_call", "ok"], recorded.Select(r => r.BehaviorName));
        Assert.True(recorded[1].HasToolResults);
        Assert.Equal("Weather in Paris?", recorded[1].LastUserMessage);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetStreamingResponse_ToolCall_YieldsFunctionCallWithArguments(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.ToolCall("lookup", """{"query":"fallback chains in dotnet"}"""));
        using var client = SimulatorClients.Chat(simulator, wire, Model);
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string query) => "x", "lookup")] };

        var updates = await client.GetStreamingResponseAsync("Look it up", options, TestToken).ToListAsync(TestToken);
        var response = updates.ToChatResponse();

        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.Equal("lookup", call.Name);
        Assert.Equal("fallback chains in dotnet", call.Arguments?["query"]?.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetStreamingResponse_TruncateAfter_EndsWithoutFinishReason(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.TruncateAfter(5));
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var (text, updates, error) = await DrainAsync(client, "hi", TestToken);

        Assert.Null(error);
        Assert.Equal(FirstWords(simulator.ExpectedReply(Model, "hi"), 5), text);
        Assert.All(updates, u => Assert.Null(u.FinishReason));
        Assert.Equal(200, Assert.Single(simulator.Requests).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetStreamingResponse_DropAfter_ThrowsIOExceptionFamilyAfterNWords(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.DropAfter(4));
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var (text, _, error) = await DrainAsync(client, "hi", TestToken);

        Assert.NotNull(error);
        Assert.True(SimulatorClients.HasIOException(error), SimulatorClients.Chain(error));
        Assert.Equal(FirstWords(simulator.ExpectedReply(Model, "hi"), 4), text);
        Assert.Equal("drop_after", Assert.Single(simulator.Requests).BehaviorName);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_DropAfter_ThrowsIOExceptionFamily(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.DropAfter(4));
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hi", cancellationToken: TestToken));

        SimulatorClients.Observe($"observed {TestContext.Current.Test?.TestDisplayName}: {SimulatorClients.Chain(error)}");
        Assert.True(SimulatorClients.HasIOException(error), SimulatorClients.Chain(error));
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_ConnectionReset_ThrowsIOExceptionFamilyAndRecordsStatusZero(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.ConnectionReset());
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hi", cancellationToken: TestToken));

        SimulatorClients.Observe($"observed {TestContext.Current.Test?.TestDisplayName}: {SimulatorClients.Chain(error)}");
        Assert.True(SimulatorClients.HasIOException(error), SimulatorClients.Chain(error));
        var recorded = Assert.Single(simulator.Requests);
        Assert.Equal("connection_reset", recorded.BehaviorName);
        Assert.Equal(0, recorded.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_Hang_CancelledByTokenAndRecordedWithoutStatus(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.Hang());
        using var client = SimulatorClients.Chat(simulator, wire, Model);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
        var call = client.GetResponseAsync("hi", cancellationToken: timeout.Token);

        // Cancel once the simulator holds the request (a fixed delay loses the race on a busy machine); the hang is endless.
        for (var i = 0; i < 1500 && simulator.Requests.Count == 0 && !call.IsCompleted; i++)
        {
            await Task.Delay(10, TestToken);
        }

        timeout.Cancel();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        SimulatorClients.Observe($"observed {TestContext.Current.Test?.TestDisplayName}: {SimulatorClients.Chain(error)}");
        var recorded = Assert.Single(simulator.Requests);
        Assert.Equal("hang", recorded.BehaviorName);
        Assert.Equal(0, recorded.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetStreamingResponse_StallForever_CancelledAfterFirstWords(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.Stall(3));
        using var client = SimulatorClients.Chat(simulator, wire, Model);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestToken);

        // The stall is endless, so the caller's limit only has to outlast the first words on a busy machine.
        timeout.CancelAfter(TimeSpan.FromSeconds(2));

        var (text, _, error) = await DrainAsync(client, "hi", timeout.Token);

        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Equal(FirstWords(simulator.ExpectedReply(Model, "hi"), 3), text);
        var recorded = Assert.Single(simulator.Requests);
        Assert.Equal("stall", recorded.BehaviorName);
        Assert.Equal(200, recorded.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetStreamingResponse_StallWithDuration_CompletesAfterPause(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.Stall(2, TimeSpan.FromMilliseconds(50)));
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var (text, updates, error) = await DrainAsync(client, "hi", TestToken);

        Assert.Null(error);
        Assert.Equal(simulator.ExpectedReply(Model, "hi"), text);
        Assert.Contains(updates, u => u.FinishReason == ChatFinishReason.Stop);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_MalformedJson_Throws(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.MalformedJson(), times: 2);
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var nonStreaming = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hi", cancellationToken: TestToken));
        var (_, _, streaming) = await DrainAsync(client, "hi", TestToken);

        SimulatorClients.Observe($"observed non-streaming: {SimulatorClients.Chain(nonStreaming)}");
        Assert.NotNull(streaming);
        Assert.All(simulator.Requests, r => Assert.Equal(200, r.StatusCode));
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_TruncateAfterNonStreaming_Throws(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.TruncateAfter(3));
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hi", cancellationToken: TestToken));

        SimulatorClients.Observe($"observed {TestContext.Current.Test?.TestDisplayName}: {SimulatorClients.Chain(error)}");
        Assert.Equal(200, Assert.Single(simulator.Requests).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_ContentFilter_FinishReasonContentFilter(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.ContentFilter(), times: 2);
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestToken);
        var (text, updates, error) = await DrainAsync(client, "hi", TestToken);

        Assert.Equal(ChatFinishReason.ContentFilter, response.FinishReason);
        Assert.Equal(string.Empty, response.Text);
        Assert.Null(error);
        Assert.Equal(string.Empty, text);
        Assert.Contains(updates, u => u.FinishReason == ChatFinishReason.ContentFilter);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_RefusalText_StopWithRefusalSentence(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).Then(SimulatedBehavior.RefusalText());
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var response = await client.GetResponseAsync("hi", cancellationToken: TestToken);

        SimulatorClients.Observe($"refusal text: {response.Text} | contents: {string.Join(",", response.Messages.SelectMany(m => m.Contents).Select(c => c.GetType().Name))}");
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Contains("I'm sorry, but I can't help with that.", response.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_ErrorBehaviors_ThrowProviderExceptions(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        SimulatedBehavior[] behaviors =
        [
            SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(1)), SimulatedBehavior.ServerError(), SimulatedBehavior.ServerError(503),
            SimulatedBehavior.ServerError(529), SimulatedBehavior.RefusalError(), SimulatedBehavior.ContextLengthExceeded(),
            SimulatedBehavior.BadRequest(), SimulatedBehavior.Unauthorized(),
        ];
        foreach (var behavior in behaviors)
        {
            simulator.Model(Model).Then(behavior);
        }

        using var client = SimulatorClients.Chat(simulator, wire, Model);
        foreach (var behavior in behaviors)
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hi", cancellationToken: TestToken));
            SimulatorClients.Observe($"observed {wire} {behavior.Name}: {SimulatorClients.Chain(error)}");
        }

        int[] expected = [429, 500, 503, 529, 400, 400, 400, 401];
        Assert.Equal(expected, simulator.Requests.Select(r => r.StatusCode));
    }
}
