using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace SkFallback.Benchmarks;

/// <summary>
/// What continuing a broken stream costs beyond the two providers' own streams: the first provider delivers
/// <see cref="Delivered"/> updates and breaks; the second answers with 20 updates. <see cref="ProvidersAlone"/>
/// consumes exactly those two streams directly; <see cref="ChainContinues"/> consumes them through the chain, which
/// detects the break, builds the instructed continuation from the delivered text, trims the seam and passes the
/// rest through. Because the in-memory providers answer at once (their time to first token is zero), the chain's
/// whole continued stream, broken connection included, is an upper bound on its own time from the detected failure
/// to the continuation's first token. The baseline is not a lower bound: the exception crosses one more async
/// iterator there than in the chain, and exception propagation dominates both.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 6, iterationCount: 20)]
public class ContinuationBenchmarks
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "Describe the harbour walk.")];

    private FallbackChatClient _chain = null!;
    private BreakingClient _first = null!;
    private FreshClient _second = null!;

    [Params(20, 200)]
    public int Delivered { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _first = new BreakingClient(Delivered);
        _second = new FreshClient(20);
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 }
            .Add("first", "model-a", _first)
            .Add("second", "model-b", _second);
        options.Streaming.CommitChunks = 4;
        _chain = new FallbackChatClient(options);

        // Guard the measurement: both variants read every update of both streams (the chain adds its trailer).
        var alone = ProvidersAlone().GetAwaiter().GetResult();
        var chained = ChainContinues().GetAwaiter().GetResult();
        if (alone != Delivered + 20 || chained != Delivered + 21)
        {
            throw new InvalidOperationException($"Expected {Delivered + 20} and {Delivered + 21} updates; read {alone} and {chained}.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _chain.Dispose();

    [Benchmark(Baseline = true, Description = "the two provider streams alone")]
    public async Task<int> ProvidersAlone()
    {
        var count = 0;
        try
        {
            await foreach (var update in _first.GetStreamingResponseAsync(Messages))
            {
                count++;
            }
        }
        catch (HttpIOException)
        {
        }

        await foreach (var update in _second.GetStreamingResponseAsync(Messages))
        {
            count++;
        }

        return count;
    }

    [Benchmark(Description = "through the chain, continued")]
    public async Task<int> ChainContinues()
    {
        var count = 0;
        await foreach (var update in _chain.GetStreamingResponseAsync(Messages))
        {
            count++;
        }

        return count;
    }

    /// <summary>Streams <c>delivered</c> word updates, then fails like a dropped connection.</summary>
    private sealed class BreakingClient(int delivered) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < delivered; i++)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? "Start" : $" w{i}");
            }

            await Task.CompletedTask.ConfigureAwait(false);
            throw new HttpIOException(HttpRequestError.ResponseEnded);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    /// <summary>Streams fresh word updates and a finish reason (fresh, because the chain may trim the seam in place).</summary>
    private sealed class FreshClient(int count) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < count; i++)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, $" c{i}") { FinishReason = i == count - 1 ? ChatFinishReason.Stop : null };
            }

            await Task.CompletedTask.ConfigureAwait(false);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
