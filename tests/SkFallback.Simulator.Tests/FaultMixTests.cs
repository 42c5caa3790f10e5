using Microsoft.Extensions.AI;

namespace SkFallback.Simulator.Tests;

public sealed class FaultMixTests
{
    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public void Draw_SameSeed_SameSequenceWithTheSharesAsked()
    {
        var first = FaultMix.Flaky(13).Draw(10_000);
        var again = FaultMix.Flaky(13).Draw(10_000);
        var other = FaultMix.Flaky(14).Draw(10_000);

        Assert.Equal(first.Select(b => (b.Name, b.Tokens)), again.Select(b => (b.Name, b.Tokens)));
        Assert.NotEqual(first.Select(b => b.Name), other.Select(b => b.Name));
        Assert.InRange(first.Count(b => b.Name == "server_error"), 2_850, 3_150);
        Assert.InRange(first.Count(b => b.Name == "drop_after"), 430, 570);
        Assert.InRange(first.Count(b => b.Name == "stall"), 240, 360);
        Assert.All(first.Where(b => b.Name is "drop_after" or "stall"), b => Assert.InRange(b.Tokens, 1, 20));
    }

    [Theory]
    [InlineData(-0.1, 0, 0)]
    [InlineData(0, 1.5, 0)]
    [InlineData(0.5, 0.3, 0.3)]
    public void Draw_SharesOutOfRange_Throws(double serverErrors, double drops, double stalls)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FaultMix(serverErrors, drops, stalls, 1).Draw(1));
    }

    [Fact]
    public async Task LoadScript_FaultMix_QueuesTheDrawAfterThenSteps()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.LoadScript("""{"models":{"m":{"then":[{"kind":"ok"}],"faultMix":{"requests":40,"seed":13,"serverErrorShare":0.3,"dropShare":0.05,"stallShare":0.03}}}}""");
        using var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "m");

        for (var i = 0; i < 42; i++)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(1));
                await foreach (var update in client.GetStreamingResponseAsync("q", cancellationToken: timeout.Token))
                {
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !TestToken.IsCancellationRequested)
            {
                // The faults reach the client as errors, drops and (cancelled) stalls; only their order is checked.
            }
        }

        var names = simulator.RequestsFor("m").Select(r => r.BehaviorName).ToList();
        Assert.Equal(["ok", .. FaultMix.Flaky(13).Draw(40).Select(b => b.Name), "ok"], names);
    }

    [Fact]
    public async Task LoadScript_FaultMixWithoutRequests_IsAFormatError()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);

        var error = Assert.Throws<FormatException>(() => simulator.LoadScript("""{"models":{"m":{"faultMix":{"seed":1}}}}"""));
        Assert.Contains("faultMix.requests", error.Message, StringComparison.Ordinal);
    }
}
