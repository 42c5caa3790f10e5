using Microsoft.Extensions.AI;

namespace SkFallback.Simulator.Tests;

/// <summary>A provider that bills more output tokens than it sent (<see cref="ModelScript.BillOutputTokens"/>), on both wires, whole and streamed.</summary>
public sealed class BillingTests
{
    private const string Model = "sim-overbilling";

    public static TheoryData<WireFormat> Wires => [WireFormat.OpenAI, WireFormat.Anthropic];

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetResponse_BillOutputTokens_ReportsFactorTimesTheTokensSentPastTheCap(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).BillOutputTokens(2.5);
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var whole = await client.GetResponseAsync("What is a fallback chain?", new ChatOptions { MaxOutputTokens = 30 }, TestToken);
        var capped = await client.GetResponseAsync("What is a fallback chain?", new ChatOptions { MaxOutputTokens = 10 }, TestToken);

        // 24 words sent, 60 billed; 10 sent under a cap of 10, 25 billed: past the cap the request set.
        Assert.Equal(simulator.ExpectedReply(Model, "What is a fallback chain?"), whole.Text);
        Assert.Equal(60, whole.Usage?.OutputTokenCount);
        Assert.Equal(10, capped.Text.Split(' ').Length);
        Assert.Equal(25, capped.Usage?.OutputTokenCount);
        Assert.Equal("What is a fallback chain?".Length / 4, capped.Usage?.InputTokenCount);
    }

    [Theory]
    [MemberData(nameof(Wires))]
    public async Task GetStreamingResponse_BillOutputTokens_UsageBillsFactorTimesTheTokensSent(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model(Model).BillOutputTokens(3);
        using var client = SimulatorClients.Chat(simulator, wire, Model);

        var updates = await client.GetStreamingResponseAsync("Stream it", new ChatOptions { MaxOutputTokens = 30 }, TestToken).ToListAsync(TestToken);

        Assert.Equal(simulator.ExpectedReply(Model, "Stream it"), string.Concat(updates.Select(u => u.Text)));
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Last();
        Assert.Equal(72, usage.Details.OutputTokenCount);
    }

    [Fact]
    public async Task LoadScript_BillOutputFactor_AppliesResetsAndRejectsOutOfRange()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.LoadScript("""{"models":{"sim-overbilling":{"billOutputFactor":2}}}""");
        using var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, Model);

        var billed = await client.GetResponseAsync("Bill it", cancellationToken: TestToken);
        simulator.LoadScript("""{"models":{"sim-overbilling":{}}}""");
        var honest = await client.GetResponseAsync("Bill it", cancellationToken: TestToken);

        Assert.Equal(48, billed.Usage?.OutputTokenCount);
        Assert.Equal(24, honest.Usage?.OutputTokenCount);
        var bad = Assert.Throws<FormatException>(() => simulator.LoadScript("""{"models":{"m":{"billOutputFactor":0.5}}}"""));
        Assert.Contains("billOutputFactor", bad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.Model("m").BillOutputTokens(0.9));
    }
}
