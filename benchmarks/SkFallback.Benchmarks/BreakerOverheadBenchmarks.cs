using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using SkFallback.CircuitBreaking;
using SkFallback.Health;
using SkFallback.Redis;

namespace SkFallback.Benchmarks;

/// <summary>
/// What circuit breakers and provider health add on the healthy path. <see cref="Bookkeeping"/> runs exactly the
/// per-call operations the chain adds for them (admission, success report, health record, rate-limit check);
/// the chain variants compare a whole call with breakers off, on, and on with a Redis state store.
/// </summary>
/// <remarks>
/// The Redis variant connects to <c>SKFALLBACK_REDIS</c> when set, otherwise to a closed port: either way the
/// healthy path must not touch the store, so both measure the same thing.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 6, iterationCount: 20)]
public class BreakerOverheadBenchmarks
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "Say hello.")];

    private CircuitBreaker _breaker = null!;
    private ProviderHealthWindow _health = null!;
    private Routing.ProviderRateLimit _rateLimit = null!;
    private FallbackChatClient _withoutBreakers = null!;
    private FallbackChatClient _withBreakers = null!;
    private FallbackChatClient _withRedis = null!;
    private RedisProviderStateStore _store = null!;

    [GlobalSetup]
    public void Setup()
    {
        _breaker = new CircuitBreaker("primary/model-a", new CircuitBreakerOptions(), TimeProvider.System);
        _health = new ProviderHealthWindow();
        _rateLimit = new Routing.ProviderRateLimit();

        FallbackOptions Options(bool breakers)
        {
            var options = new FallbackOptions()
                .Add("primary", "model-a", new InMemoryChatClient("Hello! How can I help you today?"))
                .Add("secondary", "model-b", new InMemoryChatClient("Hello from the secondary."));
            options.CircuitBreaker.Enabled = breakers;
            return options;
        }

        _withoutBreakers = new FallbackChatClient(Options(breakers: false));
        _withBreakers = new FallbackChatClient(Options(breakers: true));
        var endpoint = Environment.GetEnvironmentVariable("SKFALLBACK_REDIS") ?? "127.0.0.1:1";
        _store = new RedisProviderStateStore(new RedisProviderStateOptions { ConnectionString = $"{endpoint},connectTimeout=500", KeyPrefix = "bench" });
        _withRedis = new FallbackChatClient(Options(breakers: true), stateStore: _store);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _withoutBreakers.Dispose();
        _withBreakers.Dispose();
        _withRedis.Dispose();
        _store.Dispose();
    }

    [Benchmark]
    public bool Bookkeeping()
    {
        var admitted = _breaker.TryEnter(out _);
        _breaker.OnSuccess();
        _health.Record(TimeSpan.FromTicks(1200), FailureKind.None, default);
        return admitted & !_rateLimit.Known;
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> Chain_BreakersOff() => _withoutBreakers.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> Chain_BreakersOn() => _withBreakers.GetResponseAsync(Messages);

    [Benchmark]
    public Task<ChatResponse> Chain_BreakersOn_RedisStore() => _withRedis.GetResponseAsync(Messages);
}
