using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using static SkFallback.Tests.Characterization.Scripted;

namespace SkFallback.Tests.Characterization;

/// <summary>Pins the non-streaming chain walk: success, retries, fallback, timeouts, caller errors, exhaustion and the deadline.</summary>
public class ChainPathTests
{
    [Fact]
    public async Task GetResponse_FirstProviderAnswersWithUsage_OneAttemptAndAReportedRecord()
    {
        var clock = new FakeTimeProvider();
        using var rig = Rig.Of(clock, (Calls("a", Reply("Danube, Rhine, Seine.", clock, 120, input: 14, output: 6)), Mini), (Calls("b", Reply("unused")), Haiku));

        var response = await rig.Ask();

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.0000057 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            attempts:
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=0 | called | elapsed=120ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=14 | output=6 | cost=0.0000057 | estimated=- | reported=True | at=+120ms | settles=-
            """, Pin.Response(response, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_FirstProviderAnswersWithoutUsage_NoLedgerRecord()
    {
        var clock = new FakeTimeProvider();
        using var rig = Rig.Of(clock, (Calls("a", Reply("Danube, Rhine, Seine.", clock, 80)), Mini), (Calls("b", Reply("unused")), Haiku));

        var response = await rig.Ask();

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            attempts:
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=0 | called | elapsed=80ms | -
            ledger:
              (none)
            """, Pin.Response(response, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_ServerErrorThenSuccess_RetriesTheSameProvider()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Throw(() => Status(503), clock, 40), Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        using var rig = Rig.Of(clock, (a, Mini), (Calls("b", Reply("unused")), Haiku));

        var response = await rig.Ask();

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.0000057 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            attempts:
              a gpt-4o-mini-2024-07-18 | ServerError | status=503 | retry=0 | called | elapsed=40ms | HttpRequestException: Response status code does not indicate success: 503.
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=1 | called | elapsed=30ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=14 | output=6 | cost=0.0000057 | estimated=- | reported=True | at=+70ms | settles=-
            """, Pin.Response(response, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_RetryBudgetSpent_NextProviderIsNotRetried()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Throw(() => Status(503), clock, 10));
        var b = Calls("b", Throw(() => Status(502), clock, 20));
        var c = Calls("c", Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        using var rig = Rig.Of(clock, o => o.RetryBudget = 1, (a, Mini), (b, Haiku), (c, Gpt4o));

        var response = await rig.Ask();

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.000095 (decimal)
            skfallback.model = gpt-4o-2024-08-06
            skfallback.provider = c
            attempts:
              a gpt-4o-mini-2024-07-18 | ServerError | status=503 | retry=0 | called | elapsed=10ms | HttpRequestException: Response status code does not indicate success: 503.
              a gpt-4o-mini-2024-07-18 | ServerError | status=503 | retry=1 | called | elapsed=10ms | HttpRequestException: Response status code does not indicate success: 503.
              b claude-haiku-4-5-20251001 | ServerError | status=502 | retry=0 | called | elapsed=20ms | HttpRequestException: Response status code does not indicate success: 502.
              c gpt-4o-2024-08-06 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record c gpt-4o-2024-08-06 | None | tenant=- | prompt=14 | output=6 | cost=0.000095 | estimated=- | reported=True | at=+70ms | settles=-
            """, Pin.Response(response, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_AttemptTimesOut_FallsBackWithoutRetry()
    {
        var clock = new FakeTimeProvider();
        var b = Calls("b", Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        using var rig = Rig.Of(clock, o => o.AttemptTimeout = TimeSpan.FromSeconds(2), (Calls("a", Hang()), Mini), (b, Haiku));

        // The hanging attempt's timer is armed by the time the call returns its task.
        var call = rig.Ask();
        clock.Advance(TimeSpan.FromSeconds(2));
        var response = await call.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct);

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.000044 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            attempts:
              a gpt-4o-mini-2024-07-18 | Timeout | status=- | retry=0 | called | elapsed=2000ms | the attempt timed out
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=6 | cost=0.000044 | estimated=- | reported=True | at=+2030ms | settles=-
            """, Pin.Response(response, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_RefusalWithUsage_FallsBackAndTheRefusalIsCharged()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Reply("I'm sorry, but I can't help with that.", clock, 50, input: 14, output: 9));
        var b = Calls("b", Reply("Danube, Rhine, Seine.", clock, 30, input: 15, output: 6));
        using var rig = Rig.Of(clock, (a, Mini), (b, Haiku));

        var response = await rig.Ask();

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.000045 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            attempts:
              a gpt-4o-mini-2024-07-18 | Refusal | status=200 | retry=0 | called | elapsed=50ms | the answer is a refusal
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | Refusal | tenant=- | prompt=14 | output=9 | cost=0.0000075 | estimated=- | reported=True | at=+50ms | settles=-
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=15 | output=6 | cost=0.000045 | estimated=- | reported=True | at=+80ms | settles=-
            """, Pin.Response(response, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_NoFinishReason_IsMalformedAndRetried()
    {
        var clock = new FakeTimeProvider();
        var a = Calls(
            "a",
            (_, _) =>
            {
                clock.Advance(TimeSpan.FromMilliseconds(25));
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Danube, Rh")) { Usage = new UsageDetails { InputTokenCount = 14, OutputTokenCount = 3 } });
            },
            Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        using var rig = Rig.Of(clock, (a, Mini), (Calls("b", Reply("unused")), Haiku));

        var response = await rig.Ask();

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.0000057 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            attempts:
              a gpt-4o-mini-2024-07-18 | MalformedResponse | status=200 | retry=0 | called | elapsed=25ms | the response has no finish reason
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=1 | called | elapsed=30ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | MalformedResponse | tenant=- | prompt=14 | output=3 | cost=0.0000039 | estimated=- | reported=True | at=+25ms | settles=-
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=14 | output=6 | cost=0.0000057 | estimated=- | reported=True | at=+55ms | settles=-
            """, Pin.Response(response, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_CallerError_SurfacesTheProvidersOwnException()
    {
        var clock = new FakeTimeProvider();
        var b = Calls("b", Reply("unused"));
        using var rig = Rig.Of(clock, (Calls("a", Throw(() => Status(400), clock, 15)), Mini), (b, Haiku));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => rig.Ask());

        Pin.Match("""
            threw: HttpRequestException
            message: Response status code does not indicate success: 400.
            ledger:
              (none)
            b calls: 0
            """, Pin.Failure(error, rig.Ledger) + $"\nb calls: {b.Calls}");
    }

    [Fact]
    public async Task GetResponse_EveryProviderFails_ExhaustedListsEveryAttempt()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Throw(() => Status(503), clock, 10), Throw(Dropped, clock, 20));
        var b = Calls("b", Throw(() => Status(401), clock, 5));
        using var rig = Rig.Of(clock, (a, Mini), (b, Haiku));

        var error = await Assert.ThrowsAsync<FallbackExhaustedException>(() => rig.Ask());

        Pin.Match("""
            threw: FallbackExhaustedException
            message: Every provider in the fallback chain failed (3 attempts over 2 providers).
              - a/gpt-4o-mini-2024-07-18: ServerError HTTP 503 after 10 ms: HttpRequestException: Response status code does not indicate success: 503.
              - a/gpt-4o-mini-2024-07-18 (retry 1): ConnectionFailure after 20 ms: HttpIOException: The response ended prematurely. (ResponseEnded)
              - b/claude-haiku-4-5-20251001: Authentication HTTP 401 after 5 ms: HttpRequestException: Response status code does not indicate success: 401.
            output committed: False
            inner: ProviderException (HttpRequestException)
            attempts:
              a gpt-4o-mini-2024-07-18 | ServerError | status=503 | retry=0 | called | elapsed=10ms | HttpRequestException: Response status code does not indicate success: 503.
              a gpt-4o-mini-2024-07-18 | ConnectionFailure | status=- | retry=1 | called | elapsed=20ms | HttpIOException: The response ended prematurely. (ResponseEnded)
              b claude-haiku-4-5-20251001 | Authentication | status=401 | retry=0 | called | elapsed=5ms | HttpRequestException: Response status code does not indicate success: 401.
            ledger:
              (none)
            """, Pin.Failure(error, rig.Ledger));
    }

    [Fact]
    public async Task GetResponse_DeadlinePassesBetweenAttempts_ExhaustedWithAChainEntry()
    {
        var clock = new FakeTimeProvider();
        var b = Calls("b", Reply("unused"));
        using var rig = Rig.Of(clock, o => o.Deadline = TimeSpan.FromSeconds(1), (Calls("a", Throw(() => Status(503), clock, 1000)), Mini), (b, Haiku));

        var error = await Assert.ThrowsAsync<FallbackExhaustedException>(() => rig.Ask());

        Pin.Match("""
            threw: FallbackExhaustedException
            message: The fallback chain's deadline of 1000 ms passed after 1 attempts.
              - a/gpt-4o-mini-2024-07-18: ServerError HTTP 503 after 1000 ms: HttpRequestException: Response status code does not indicate success: 503.
              - (chain)/: skipped, DeadlineExceeded: the chain's deadline of 1000 ms passed
            output committed: False
            inner: ProviderException (HttpRequestException)
            attempts:
              a gpt-4o-mini-2024-07-18 | ServerError | status=503 | retry=0 | called | elapsed=1000ms | HttpRequestException: Response status code does not indicate success: 503.
              (chain)  | DeadlineExceeded | status=- | retry=0 | skipped | elapsed=1000ms | the chain's deadline of 1000 ms passed
            ledger:
              (none)
            b calls: 0
            """, Pin.Failure(error, rig.Ledger) + $"\nb calls: {b.Calls}");
    }

    [Fact]
    public async Task GetResponse_DeadlinePassesDuringAttempt_ExhaustedWithTheAttemptAsDeadline()
    {
        var clock = new FakeTimeProvider();
        var b = Calls("b", Reply("unused"));
        using var rig = Rig.Of(clock, o => o.Deadline = TimeSpan.FromSeconds(1), (Calls("a", Hang()), Mini), (b, Haiku));

        var call = rig.Ask();
        clock.Advance(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<FallbackExhaustedException>(() => call.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct));

        Pin.Match("""
            threw: FallbackExhaustedException
            message: The fallback chain's deadline of 1000 ms passed after 1 attempts.
              - a/gpt-4o-mini-2024-07-18: DeadlineExceeded after 1000 ms: the chain's deadline of 1000 ms passed
            output committed: False
            inner: ProviderException (TaskCanceledException)
            attempts:
              a gpt-4o-mini-2024-07-18 | DeadlineExceeded | status=- | retry=0 | called | elapsed=1000ms | the chain's deadline of 1000 ms passed
            ledger:
              (none)
            b calls: 0
            """, Pin.Failure(error, rig.Ledger) + $"\nb calls: {b.Calls}");
    }
}
