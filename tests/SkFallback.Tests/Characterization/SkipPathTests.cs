using System.Net;
using Microsoft.Extensions.Time.Testing;
using static SkFallback.Tests.Characterization.Scripted;

namespace SkFallback.Tests.Characterization;

/// <summary>Pins the providers the walk passes over or defers: open breakers (last resort), rate-limit cooldowns and context windows.</summary>
public class SkipPathTests
{
    [Fact]
    public async Task GetResponse_BreakerOpen_ProviderDeferredAndUsedAsLastResort()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Throw(() => Status(503), clock, 10), Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        var b = Calls("b", Reply("Loire, Elbe, Po.", clock, 20, input: 14, output: 5), Throw(() => Status(500), clock, 15));
        using var rig = Rig.Of(
            clock,
            o =>
            {
                o.MaxRetriesPerProvider = 0;
                o.CircuitBreaker.FailureThreshold = 1;
            },
            (a, Mini),
            (b, Haiku));

        var opened = await rig.Ask();
        clock.Advance(TimeSpan.FromSeconds(1));
        var lastResort = await rig.Ask();

        Pin.Match("""
            call 1:
              a gpt-4o-mini-2024-07-18 | ServerError | status=503 | retry=0 | called | elapsed=10ms | HttpRequestException: Response status code does not indicate success: 503.
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=20ms | -
            call 2:
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.0000057 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            attempts:
              a gpt-4o-mini-2024-07-18 | CircuitOpen | status=- | retry=0 | skipped | elapsed=0ms | circuit open until 00:00:30.010; tried last if nothing else answers
              b claude-haiku-4-5-20251001 | ServerError | status=500 | retry=0 | called | elapsed=15ms | HttpRequestException: Response status code does not indicate success: 500.
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=5 | cost=0.000039 | estimated=- | reported=True | at=+30ms | settles=-
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=14 | output=6 | cost=0.0000057 | estimated=- | reported=True | at=+1075ms | settles=-
            a calls: 2, b calls: 2
            """, "call 1:\n" + Pin.Attempts(Chain.AttemptsOf(opened)) + "\ncall 2:\n" + Pin.Response(lastResort, rig.Ledger) + $"\na calls: {a.Calls}, b calls: {b.Calls}");
    }

    [Fact]
    public async Task GetResponse_RateLimitedWithRetryAfter_LaterCallsSkipItWhileCoolingDown()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Throw(() => RateLimited(7), clock, 10), Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        var b = Calls("b", Reply("Loire, Elbe, Po.", clock, 20, input: 14, output: 5));
        using var rig = Rig.Of(clock, (a, Mini), (b, Haiku));

        var limited = await rig.Ask();
        clock.Advance(TimeSpan.FromSeconds(2));
        var cooling = await rig.Ask();
        clock.Advance(TimeSpan.FromSeconds(5));
        var back = await rig.Ask();

        Pin.Match("""
            call 1:
              a gpt-4o-mini-2024-07-18 | RateLimited | status=429 | retry=0 | called | elapsed=10ms | 'ClientResultException: Service request failed. Status: 429 (Too Many Requests) '
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=20ms | -
            call 2:
              a gpt-4o-mini-2024-07-18 | CoolingDown | status=- | retry=0 | skipped | elapsed=0ms | rate limited; skipped for another 4980 ms
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=20ms | -
            call 3:
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.0000057 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            attempts:
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=5 | cost=0.000039 | estimated=- | reported=True | at=+30ms | settles=-
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=5 | cost=0.000039 | estimated=- | reported=True | at=+2050ms | settles=-
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=14 | output=6 | cost=0.0000057 | estimated=- | reported=True | at=+7080ms | settles=-
            """, "call 1:\n" + Pin.Attempts(Chain.AttemptsOf(limited)) + "\ncall 2:\n" + Pin.Attempts(Chain.AttemptsOf(cooling)) + "\ncall 3:\n" + Pin.Response(back, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_RateLimitedWithoutRetryAfter_SkippedForTheDefaultCooldown()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Throw(() => Status(429), clock, 10), Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        var b = Calls("b", Reply("Loire, Elbe, Po.", clock, 20, input: 14, output: 5));
        using var rig = Rig.Of(clock, o => o.DefaultRateLimitCooldown = TimeSpan.FromSeconds(3), (a, Mini), (b, Haiku));

        var limited = await rig.Ask();
        clock.Advance(TimeSpan.FromSeconds(1));
        var cooling = await rig.Ask();

        Pin.Match("""
            call 1:
              a gpt-4o-mini-2024-07-18 | RateLimited | status=429 | retry=0 | called | elapsed=10ms | HttpRequestException: Response status code does not indicate success: 429.
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=20ms | -
            call 2:
            text: Loire, Elbe, Po.
            finish: stop
            skfallback.cost_usd = 0.000039 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            attempts:
              a gpt-4o-mini-2024-07-18 | CoolingDown | status=- | retry=0 | skipped | elapsed=0ms | rate limited; skipped for another 1980 ms
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=20ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=5 | cost=0.000039 | estimated=- | reported=True | at=+30ms | settles=-
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=5 | cost=0.000039 | estimated=- | reported=True | at=+1050ms | settles=-
            """, "call 1:\n" + Pin.Attempts(Chain.AttemptsOf(limited)) + "\ncall 2:\n" + Pin.Response(cooling, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_ContextLengthExceeded_ProvidersWithWindowsNotLargerAreSkipped()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Throw(() => new HttpRequestException("This model's maximum context length is 1000 tokens.", null, HttpStatusCode.BadRequest), clock, 10));
        var b = Calls("b", Reply("unused"));
        var c = Calls("c", Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        using var rig = Rig.Of(
            clock,
            o =>
            {
                o.Providers[0].ContextWindow = 1000;
                o.Providers[1].ContextWindow = 1000;
                o.Providers[2].ContextWindow = 4000;
            },
            (a, Mini),
            (b, Haiku),
            (c, Gpt4o));

        var response = await rig.Ask();

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.000095 (decimal)
            skfallback.model = gpt-4o-2024-08-06
            skfallback.provider = c
            attempts:
              a gpt-4o-mini-2024-07-18 | ContextLengthExceeded | status=400 | retry=0 | called | elapsed=10ms | HttpRequestException: This model's maximum context length is 1000 tokens.
              b claude-haiku-4-5-20251001 | ContextLengthExceeded | status=- | retry=0 | skipped | elapsed=0ms | context window 1000 is not larger than the 1000 that was exceeded
              c gpt-4o-2024-08-06 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record c gpt-4o-2024-08-06 | None | tenant=- | prompt=14 | output=6 | cost=0.000095 | estimated=- | reported=True | at=+40ms | settles=-
            b calls: 0
            """, Pin.Response(response, rig.Ledger) + $"\nb calls: {b.Calls}");
    }

    [Fact]
    public async Task GetResponse_RequestLargerThanContextWindow_SkippedBeforeDispatch()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Reply("unused"));
        var b = Calls("b", Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        using var rig = Rig.Of(clock, o => o.Providers[0].ContextWindow = 8, (a, Mini), (b, Haiku));

        var response = await rig.Ask();

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.000044 (decimal)
            skfallback.estimated_cost_usd = 0.00513600 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            attempts:
              a gpt-4o-mini-2024-07-18 | ContextLengthExceeded | status=- | retry=0 | skipped | elapsed=0ms | estimated 13 prompt tokens exceed its context window of 8
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=6 | cost=0.000044 | estimated=0.00513600 | reported=True | at=+30ms | settles=-
            a calls: 0
            """, Pin.Response(response, rig.Ledger) + $"\na calls: {a.Calls}");
    }
}
