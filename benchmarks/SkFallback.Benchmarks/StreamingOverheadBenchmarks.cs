using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace SkFallback.Benchmarks;

/// <summary>
/// Per-chunk overhead of streaming: the whole stream of <see cref="Chunks"/> pre-built updates is consumed.
/// Per-chunk cost of a variant = (time at 1000 chunks − time at 100 chunks) / 900, and bytes per chunk likewise
/// from the allocation; added per-chunk cost = that minus <see cref="Direct"/>'s. The 100-chunk run is the base
/// because everything a stream allocates once (the commit buffer fills at 8 updates) is allocated by then; the
/// 1-chunk run gives the per-stream cost.
/// </summary>
/// <remarks>
/// The updates are built once and the same instances are yielded on every call (see <see cref="InMemoryChatClient"/>),
/// so the provider allocates nothing per chunk and any per-chunk allocation belongs to the layer under test.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 6, iterationCount: 20)]
public class StreamingOverheadBenchmarks
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "Say hello.")];

    private InMemoryChatClient _primary = null!;
    private InMemoryChatClient _secondary = null!;
    private FallbackChatClient _fallback = null!;
    private OrderedFailoverChatClient _failover = null!;

    [Params(1, 100, 1000)]
    public int Chunks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var updates = new ChatResponseUpdate[Chunks];
        for (var i = 0; i < updates.Length; i++)
        {
            // A token-sized text per chunk, like a real stream; the last chunk finishes it.
            updates[i] = new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? "Hello" : " word")
            {
                FinishReason = i == updates.Length - 1 ? ChatFinishReason.Stop : null,
            };
        }

        _primary = new InMemoryChatClient("unused", updates);
        _secondary = new InMemoryChatClient("unused", updates);
        _fallback = new FallbackChatClient(new FallbackOptions()
            .Add("primary", "model-a", _primary)
            .Add("secondary", "model-b", _secondary));
        _failover = new OrderedFailoverChatClient([_primary, _secondary], leaveOpen: true);

        // Guard the measurement: every variant streams the whole answer (the chain adds one trailer update).
        Expect(Direct(), Chunks);
        Expect(Fallback(), Chunks + 1);
        Expect(OrderedFailover(), Chunks);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_secondary.Calls != 0)
        {
            throw new InvalidOperationException("The secondary was called on the healthy path.");
        }

        _fallback.Dispose();
        _failover.Dispose();
    }

    /// <summary>Gets how many updates the last benchmarked call consumed (kept in a field, not returned: a returned <c>Task&lt;int&gt;</c> of a count above 8 is not cached and would allocate).</summary>
    public int Consumed { get; private set; }

    [Benchmark(Baseline = true)]
    public Task Direct() => Consume(_primary);

    [Benchmark]
    public Task Fallback() => Consume(_fallback);

    [Benchmark]
    public Task OrderedFailover() => Consume(_failover);

    private void Expect(Task consumed, int expected)
    {
        consumed.GetAwaiter().GetResult();
        if (Consumed != expected)
        {
            throw new InvalidOperationException($"Expected {expected} updates, got {Consumed}.");
        }
    }

    private async Task Consume(IChatClient client)
    {
        var count = 0;
        await foreach (var update in client.GetStreamingResponseAsync(Messages).ConfigureAwait(false))
        {
            count++;
        }

        Consumed = count;
    }
}
