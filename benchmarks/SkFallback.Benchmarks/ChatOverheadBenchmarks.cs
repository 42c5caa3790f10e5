using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace SkFallback.Benchmarks;

/// <summary>
/// Healthy-path overhead of one non-streaming call: the primary answers at once, the secondary is never called.
/// Added cost per call = a variant's time and allocation minus <see cref="Direct"/>'s.
/// </summary>
/// <remarks>
/// Every variant ends in the same <see cref="InMemoryChatClient"/>, which builds a fresh <see cref="ChatResponse"/>
/// per call (the chain annotates the response, so a cached one would hide an allocation); that cost is in the
/// baseline too and cancels out.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 6, iterationCount: 20)]
public class ChatOverheadBenchmarks
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "Say hello.")];

    private InMemoryChatClient _primary = null!;
    private InMemoryChatClient _secondary = null!;
    private FallbackChatClient _fallback = null!;
    private OrderedFailoverChatClient _failover = null!;

    // A caller token that can be cancelled (as a request-aborted token is) but never is.
    private CancellationTokenSource _caller = null!;

    [GlobalSetup]
    public void Setup()
    {
        _primary = new InMemoryChatClient("Hello! How can I help you today?");
        _secondary = new InMemoryChatClient("Hello from the secondary.");
        _fallback = new FallbackChatClient(new FallbackOptions()
            .Add("primary", "model-a", _primary)
            .Add("secondary", "model-b", _secondary));
        _failover = new OrderedFailoverChatClient([_primary, _secondary], leaveOpen: true);
        _caller = new CancellationTokenSource();

        // Guard the measurement: the chain answers from the primary and annotates the response.
        var response = Fallback().GetAwaiter().GetResult();
        if (response.AdditionalProperties?[FallbackMetadataKeys.Provider] is not "primary")
        {
            throw new InvalidOperationException("The chain did not answer from the primary.");
        }
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
        _caller.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> Direct() => _primary.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> Fallback() => _fallback.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> Fallback_CallerToken() => _fallback.GetResponseAsync(Messages, cancellationToken: _caller.Token);

    [Benchmark]
    public Task<ChatResponse> OrderedFailover() => _failover.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> OrderedFailover_CallerToken() => _failover.GetResponseAsync(Messages, cancellationToken: _caller.Token);
}
