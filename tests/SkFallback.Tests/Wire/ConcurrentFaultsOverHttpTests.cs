using System.Text;
using Microsoft.Extensions.AI;
using SkFallback.Simulator;

namespace SkFallback.Tests.Wire;

/// <summary>
/// Many streams started at once against one flaky OpenAI-wire server (issue 13's mix: 30% 503, 5% drops mid-stream,
/// 3% stalls mid-stream, seeded), through a chain with default options over the real OpenAI SDK whose second provider
/// is a healthy server of the same model and seed (so a continuation is exact): every stream is already in flight
/// when the faults come, so no breaker and no stall limit learned before can help.
/// Each caller gives up after 5 s, as an app's request would. Run alone: 200 streams on 2 cores would slow the timing
/// tests beside them.
/// </summary>
[CollectionDefinition(nameof(ConcurrentFaultsOverHttpTests), DisableParallelization = true)]
[Collection(nameof(ConcurrentFaultsOverHttpTests))]
public sealed class ConcurrentFaultsOverHttpTests
{
    private const string Model = "flaky-2024-08-06";
    private const string Question = "Report the harbour's traffic";
    private const int Streams = 200;

    /// <summary>The caller's own deadline per stream.</summary>
    private static readonly TimeSpan CallerDeadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Stream_200AtOnceAgainstAFlakyServer_EveryAnswerExactWithDefaultOptions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var flaky = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = 13 }, ct);
        await using var healthy = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = 13 }, ct);
        foreach (var sim in new[] { flaky, healthy })
        {
            sim.Model(Model).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(20), 400, 0.2));
        }

        flaky.Model(Model).Then(FaultMix.Flaky(seed: 13), Streams * 4);
        var options = new FallbackOptions()
            .Add(Provider("flaky", flaky))
            .Add(Provider("healthy", healthy));
        using var client = new FallbackChatClient(options);
        var expected = flaky.ExpectedReply(Model, Question);

        var results = await Task.WhenAll(Enumerable.Range(0, Streams).Select(_ => Task.Run(() => StreamAsync(client))));

        var lost = results.Where(r => r.Text != expected).ToList();
        var report = new StringBuilder();
        foreach (var r in lost.Take(10))
        {
            report.Append(r.Error ?? $"text '{r.Text}'").AppendLine();
        }

        var served = flaky.RequestsFor(Model);
        var stalls = served.Count(r => r.BehaviorName == "stall" && r.ContentTokensSent > 0);
        TestContext.Current.TestOutputHelper?.WriteLine($"{Streams - lost.Count}/{Streams} exact; {served.Count} + {healthy.RequestsFor(Model).Count} requests, {stalls} stalled mid-stream; slowest {results.Max(r => r.Elapsed).TotalMilliseconds:0} ms");
        Assert.True(lost.Count == 0, $"{lost.Count} of {Streams} answers not exact:\n{report}");

        // Not vacuous: the mix reached the streams in flight, stalls included.
        Assert.True(stalls > 0, "No stream stalled mid-stream.");
        Assert.Contains(served, r => r.BehaviorName == "drop_after");
        Assert.Contains(served, r => r.BehaviorName == "server_error");
    }

    private static ProviderOptions Provider(string name, ProviderSimulator sim) =>
        new() { Name = name, Kind = ProviderKinds.OpenAI, Model = Model, ApiKey = "sk-test-key-123456789", Endpoint = sim.OpenAIEndpoint };

    private static async Task<Outcome> StreamAsync(IChatClient client)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(CallerDeadline);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var text = new StringBuilder();
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(Question, cancellationToken: deadline.Token))
            {
                text.Append(update.Text);
            }

            return new Outcome(text.ToString(), null, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is OperationCanceledException or FallbackExhaustedException)
        {
            var attempts = ex is FallbackExhaustedException exhausted
                ? string.Join("; ", exhausted.Attempts.Select(a => $"{a.Provider} {a.Outcome} {a.Elapsed.TotalMilliseconds:0} ms {a.Detail}"))
                : "caller gave up";
            return new Outcome(text.ToString(), $"{ex.GetType().Name} after {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms: {attempts}", System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    private sealed record Outcome(string Text, string? Error, TimeSpan Elapsed);
}
