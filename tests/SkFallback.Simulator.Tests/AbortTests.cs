using System.Text;
using Microsoft.Extensions.AI;

namespace SkFallback.Simulator.Tests;

/// <summary>The request log shows requests their client abandoned (cancelled mid-stream or while waiting).</summary>
public sealed class AbortTests
{
    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task StreamingCancelledMidStream_RecordedAsAbortedAfterTheTokensSent(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        const string Model = "slow-sim";
        simulator.Model(Model).WithLatency(new LatencyProfile(TimeSpan.Zero, 20, 0));
        using var http = SimulatorClients.ClosingHttpClient();
        var client = SimulatorClients.Chat(simulator, wire, Model, http);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
        var text = new StringBuilder();
        var updates = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("Stream slowly", cancellationToken: cancel.Token))
            {
                text.Append(update.Text);
                if (update.Text.Length > 0 && ++updates == 3)
                {
                    await cancel.CancelAsync();
                }
            }
        });
        await simulator.WaitForRequestsToEndAsync(TestToken);

        var recorded = Assert.Single(simulator.Requests);
        Assert.True(recorded.Aborted);
        Assert.True(recorded.Ended);
        Assert.Equal(200, recorded.StatusCode);
        Assert.InRange(recorded.ContentTokensSent, 3, 23);
        Assert.StartsWith(text.ToString(), simulator.ExpectedReply(Model, "Stream slowly"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task StreamingCancelledMidStream_DefaultHttpClient_DrainsTheRestSoTheProviderNeverSeesAnAbort(WireFormat wire)
    {
        // What an engine must know: abandoning a stream on a default HttpClient does not stop the provider.
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        const string Model = "slow-sim";
        simulator.Model(Model).WithLatency(new LatencyProfile(TimeSpan.Zero, 100, 0));
        var client = SimulatorClients.Chat(simulator, wire, Model);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestToken);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("Stream slowly", cancellationToken: cancel.Token))
            {
                if (update.Text.Length > 0)
                {
                    await cancel.CancelAsync();
                }
            }
        });
        await simulator.WaitForRequestsToEndAsync(TestToken);

        var recorded = Assert.Single(simulator.Requests);
        Assert.False(recorded.Aborted);
        Assert.Equal(24, recorded.ContentTokensSent);
    }

    [Fact]
    public async Task HangCancelledByClient_RecordedAsAborted()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("hang-sim").Then(SimulatedBehavior.Hang());
        var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "hang-sim");
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
        var call = client.GetResponseAsync("hi", cancellationToken: cancel.Token);
        await WaitUntilAsync(() => simulator.Requests.Count == 1);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await simulator.WaitForRequestsToEndAsync(TestToken);

        var recorded = Assert.Single(simulator.Requests);
        Assert.True(recorded.Aborted);
        Assert.Equal(0, recorded.StatusCode);
    }

    [Fact]
    public async Task CompletedAndSimulatorDroppedRequests_AreNotAborted()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("m").Then(SimulatedBehavior.Ok()).Then(SimulatedBehavior.DropAfter(2)).Then(SimulatedBehavior.ConnectionReset());
        var client = SimulatorClients.Chat(simulator, WireFormat.OpenAI, "m");

        await client.GetStreamingResponseAsync("a", cancellationToken: TestToken).ToListAsync(TestToken);
        await Assert.ThrowsAnyAsync<Exception>(async () => await client.GetStreamingResponseAsync("b", cancellationToken: TestToken).ToListAsync(TestToken));
        await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("c", cancellationToken: TestToken));
        await simulator.WaitForRequestsToEndAsync(TestToken);

        Assert.Equal(3, simulator.Requests.Count);
        Assert.All(simulator.Requests, r => Assert.False(r.Aborted, r.BehaviorName));
        Assert.All(simulator.Requests, r => Assert.True(r.Ended));
        Assert.Equal([24, 2, 0], simulator.Requests.Select(r => r.ContentTokensSent));
    }

    [Fact]
    public async Task WaitForRequestsToEnd_WhileAStreamIsStalled_WaitsUntilItsClientLeaves()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("stall-sim").Then(SimulatedBehavior.Stall(1));
        var client = SimulatorClients.Chat(simulator, WireFormat.Anthropic, "stall-sim");
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
        var consumed = new TaskCompletionSource();
        var reading = Task.Run(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("hi", cancellationToken: cancel.Token))
            {
                if (update.Text.Length > 0)
                {
                    consumed.TrySetResult();
                }
            }
        }, TestToken);
        await consumed.Task.WaitAsync(TestToken);

        var waiting = simulator.WaitForRequestsToEndAsync(TestToken);
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        await waiting;

        var recorded = Assert.Single(simulator.Requests);
        Assert.True(recorded.Aborted);
        Assert.Equal(1, recorded.ContentTokensSent);
    }

    /// <summary>Waits for a condition the server reaches on its own thread (bounded: at most about 5 s).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, TestToken);
        }

        Assert.True(condition());
    }
}
