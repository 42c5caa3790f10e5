using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using SkFallback.Events;

namespace SkFallback.Benchmarks;

/// <summary>
/// Call overhead of the fallback-event log on the healthy path (ChatOverhead's call: the primary answers at once): the
/// log off, on at the default rates (1% of healthy calls sampled), on with every call sampled, and on with every call
/// sampled into a full queue (the sink never returns, so each event is dropped and counted).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 4, iterationCount: 12)]
public class EventLogOverheadBenchmarks
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "Say hello.")];

    private FallbackChatClient _off = null!;
    private FallbackChatClient _defaults = null!;
    private FallbackChatClient _everyCall = null!;
    private FallbackChatClient _fullQueue = null!;
    private FallbackEventLog _defaultsLog = null!;
    private FallbackEventLog _everyCallLog = null!;
    private FallbackEventLog _fullQueueLog = null!;
    private readonly TaskCompletionSource _never = new();

    [GlobalSetup]
    public void Setup()
    {
        _off = Client(null);
        _defaultsLog = new FallbackEventLog(new FallbackEventOptions { Enabled = true }, new DiscardSink());
        _defaults = Client(_defaultsLog);
        _everyCallLog = new FallbackEventLog(new FallbackEventOptions { Enabled = true, SampleRate = 1, QueueCapacity = 100_000 }, new DiscardSink());
        _everyCall = Client(_everyCallLog);
        _fullQueueLog = new FallbackEventLog(new FallbackEventOptions { Enabled = true, SampleRate = 1, QueueCapacity = 16 }, new StuckSink(_never.Task));
        _fullQueue = Client(_fullQueueLog);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// dropped by the full queue: {_fullQueueLog.Dropped}; every-call log written {_everyCallLog.Written}, dropped {_everyCallLog.Dropped}");
        _never.TrySetResult();
        foreach (var client in new[] { _off, _defaults, _everyCall, _fullQueue })
        {
            client.Dispose();
        }

        _defaultsLog.Dispose();
        _everyCallLog.Dispose();
        _fullQueueLog.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> LogOff() => _off.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> LogOn_Defaults() => _defaults.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> LogOn_EveryCallSampled() => _everyCall.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> LogOn_FullQueueDropping() => _fullQueue.GetResponseAsync(Messages);

    private static FallbackChatClient Client(FallbackEventLog? log) =>
        new(new FallbackOptions()
            .Add("primary", "model-a", new InMemoryChatClient("Hello! How can I help you today?"))
            .Add("secondary", "model-b", new InMemoryChatClient("Hello from the secondary.")), eventLog: log);

    private sealed class DiscardSink : IFallbackEventSink
    {
        public ValueTask WriteAsync(IReadOnlyList<FallbackEvent> events, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class StuckSink(Task never) : IFallbackEventSink
    {
        public async ValueTask WriteAsync(IReadOnlyList<FallbackEvent> events, CancellationToken cancellationToken) =>
            await never.WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
