using Microsoft.Extensions.AI;
using SkFallback.Cli.Evaluation;
using SkFallback.Cli.Evaluation.Runs;
using SkFallback.Cli.Hosting;

namespace SkFallback.Cli.Tests;

public sealed class EvalRunnerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task RunAsync_Concurrency_NeverMoreCallsInFlightAndResultsInOrder(int concurrency)
    {
        var client = new CountingClient();
        using var target = new EvalTarget("t", EvalTarget.ProviderKind, ["m"], client, null);
        var cases = GoldenSetReader.Read(string.Join('\n', Enumerable.Range(0, 12).Select(i => $$"""{"id":"c{{i}}","prompt":"p{{i}}","expected":"p{{i}}"}""")), "set");
        using var scorer = new CaseScorer(null);

        var results = await new EvalRunner(scorer, TimeProvider.System, concurrency).RunAsync([target], cases, null, TestContext.Current.CancellationToken);

        Assert.InRange(client.MaxInFlight, 1, concurrency);
        Assert.Equal(cases.Select(c => c.Id), results.Select(r => r.CaseId));
        Assert.All(results, r => Assert.True(r.Passed));
    }

    /// <summary>Echoes the prompt after yielding a few times, counting how many calls overlap.</summary>
    private sealed class CountingClient : IChatClient
    {
        private int _inFlight;
        private int _max;

        public int MaxInFlight => Volatile.Read(ref _max);

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
            {
            }

            for (var i = 0; i < 20; i++)
            {
                await Task.Yield();
            }

            Interlocked.Decrement(ref _inFlight);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, messages.Last().Text));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
