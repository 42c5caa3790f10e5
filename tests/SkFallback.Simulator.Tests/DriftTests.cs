using Microsoft.Extensions.AI;

namespace SkFallback.Simulator.Tests;

/// <summary>Known prompts, pinned versions and scripted drift, through the real SDKs on both wires.</summary>
public sealed class DriftTests
{
    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task Answer_KnownPrompt_RepliesWithItsTextAndVersion(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Answer("Capital of France?", "Paris.").WithVersion("m-2026-01-15");
        using var client = SimulatorClients.Chat(simulator, wire, "m");

        var known = await client.GetResponseAsync("Capital of France?", cancellationToken: TestToken);
        var unknown = await client.GetResponseAsync("Something else", cancellationToken: TestToken);

        Assert.Equal("Paris.", known.Text);
        Assert.Equal("m-2026-01-15", known.ModelId);
        Assert.Equal(simulator.ExpectedReply("m", "Something else"), unknown.Text);
        Assert.Equal("m-2026-01-15", simulator.Requests[0].ReportedModel);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task DriftAfter_Switch_ChangesListedAnswersAndVersionOnly(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Answer("a?", "A.").Answer("b?", "B.").WithVersion("m-v1")
            .DriftAfter(2, "m-v2", new Dictionary<string, string> { ["a?"] = "Changed." });
        using var client = SimulatorClients.Chat(simulator, wire, "m");

        var before = await client.GetResponseAsync("a?", cancellationToken: TestToken);
        Assert.False(simulator.Model("m").HasDrifted);
        await client.GetResponseAsync("b?", cancellationToken: TestToken);
        var after = await client.GetResponseAsync("a?", cancellationToken: TestToken);
        var kept = await client.GetResponseAsync("b?", cancellationToken: TestToken);

        Assert.Equal(("A.", "m-v1"), (before.Text, before.ModelId));
        Assert.Equal(("Changed.", "m-v2"), (after.Text, after.ModelId));
        Assert.Equal(("B.", "m-v2"), (kept.Text, kept.ModelId));
        Assert.True(simulator.Model("m").HasDrifted);
    }

    [Fact]
    public async Task DriftAfter_Streamed_ReportsNewVersionOnEveryChunk()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Answer("a?", "Old answer here.").DriftAfter(0, "m-v2", new Dictionary<string, string> { ["a?"] = "New answer here." });
        using var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "m");

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("a?", cancellationToken: TestToken))
        {
            updates.Add(update);
        }

        Assert.Equal("New answer here.", string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates.Where(u => u.ModelId is not null), u => Assert.Equal("m-v2", u.ModelId));
    }

    [Fact]
    public async Task DriftAfter_ScriptedFault_StillFailsAndCounts()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Answer("a?", "A.").Then(SimulatedBehavior.ServerError(503))
            .DriftAfter(1, "m-v2", new Dictionary<string, string> { ["a?"] = "Z." });
        using var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "m");

        await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("a?", cancellationToken: TestToken));
        var after = await client.GetResponseAsync("a?", cancellationToken: TestToken);

        Assert.Equal("Z.", after.Text);
    }

    [Fact]
    public async Task LoadScript_AnswersVersionDrift_AppliesAndRejectsBadShapes()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.LoadScript("""
            {"models":{"m":{"version":"m-v1","answers":{"a?":"A.","t?":{"kind":"tool_call","functionName":"get_weather","arguments":{"city":"Paris"}}},
              "drift":{"afterRequests":2,"version":"m-v2","answers":{"a?":"Drifted."}}}}}
            """);
        using var client = SimulatorClients.Chat(simulator, WireFormat.Anthropic, "m");

        var first = await client.GetResponseAsync("a?", cancellationToken: TestToken);
        var tool = await client.GetResponseAsync("t?", cancellationToken: TestToken);
        var drifted = await client.GetResponseAsync("a?", cancellationToken: TestToken);

        Assert.Equal(("A.", "m-v1"), (first.Text, first.ModelId));
        var call = Assert.Single(tool.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal(("Drifted.", "m-v2"), (drifted.Text, drifted.ModelId));
        Assert.Contains("drift.version", Assert.Throws<FormatException>(() => simulator.LoadScript("""{"models":{"m":{"drift":{"afterRequests":1}}}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("answers", Assert.Throws<FormatException>(() => simulator.LoadScript("""{"models":{"m":{"answers":["x"]}}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("afterRequests", Assert.Throws<FormatException>(() => simulator.LoadScript("""{"models":{"m":{"drift":{"afterRequests":-1,"version":"v"}}}}""")).Message, StringComparison.Ordinal);
    }
}
