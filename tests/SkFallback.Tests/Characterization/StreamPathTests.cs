using Microsoft.Extensions.Time.Testing;
using static SkFallback.Tests.Characterization.Scripted;

namespace SkFallback.Tests.Characterization;

/// <summary>Pins streams up to commit: success with and without usage, retries and switches before commit, truncation, exhaustion and the deadline.</summary>
public class StreamPathTests
{
    private const string Answer = "The Danube flows east, the Rhine flows north, and the Seine flows west.";

    [Fact]
    public async Task GetStreamingResponse_FirstProviderStreamsWithUsage_TrailerCarriesAttemptsAndCost()
    {
        var clock = new FakeTimeProvider();
        using var rig = Rig.Of(clock, (Streams("a", Words(Answer, clock, 10, input: 14, output: 15)), Mini), (Streams("b", Words("unused")), Haiku));

        var updates = await rig.Read();

        Pin.Match("""
            text: The Danube flows east, the Rhine flows north, and the Seine flows west.
            updates: 16
            finish: stop
            named: #0 a/gpt-4o-mini-2024-07-18
            trailer text: ''
            skfallback.cost_usd = 0.0000111 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            total usage: input=14 output=15 total=-
            attempts:
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=0 | called | elapsed=130ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=14 | output=15 | cost=0.0000111 | estimated=- | reported=True | at=+130ms | settles=-
            """, Pin.Stream(updates, rig.Ledger));
    }

    [Fact]
    public async Task GetStreamingResponse_FirstProviderStreamsWithoutUsage_NoLedgerRecord()
    {
        var clock = new FakeTimeProvider();
        using var rig = Rig.Of(clock, (Streams("a", Words(Answer, clock, 10)), Mini), (Streams("b", Words("unused")), Haiku));

        var updates = await rig.Read();

        Pin.Match("""
            text: The Danube flows east, the Rhine flows north, and the Seine flows west.
            updates: 16
            finish: stop
            named: #0 a/gpt-4o-mini-2024-07-18
            trailer text: ''
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            total usage: -
            attempts:
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=0 | called | elapsed=130ms | -
            ledger:
              (none)
            """, Pin.Stream(updates, rig.Ledger));
    }

    [Fact]
    public async Task GetStreamingResponse_ServerErrorBeforeContent_RetriesTheSameProvider()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Fails(() => Status(503), clock, 30), Words(Answer, clock, 10, input: 14, output: 15));
        using var rig = Rig.Of(clock, (a, Mini), (Streams("b", Words("unused")), Haiku));

        var updates = await rig.Read();

        Pin.Match("""
            text: The Danube flows east, the Rhine flows north, and the Seine flows west.
            updates: 16
            finish: stop
            named: #0 a/gpt-4o-mini-2024-07-18
            trailer text: ''
            skfallback.cost_usd = 0.0000111 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            total usage: input=14 output=15 total=-
            attempts:
              a gpt-4o-mini-2024-07-18 | ServerError | status=503 | retry=0 | called | elapsed=30ms | HttpRequestException: Response status code does not indicate success: 503.
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=1 | called | elapsed=130ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=14 | output=15 | cost=0.0000111 | estimated=- | reported=True | at=+160ms | settles=-
            """, Pin.Stream(updates, rig.Ledger));
    }

    [Fact]
    public async Task GetStreamingResponse_DroppedBeforeCommit_RetriedThenSwitchedInvisibly()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Words("The Danube flows", clock, 10, throwAfter: Dropped));
        var b = Streams("b", Words(Answer, clock, 5, input: 14, output: 15));
        using var rig = Rig.Of(clock, (a, Mini), (b, Haiku));

        var updates = await rig.Read();

        Pin.Match("""
            text: The Danube flows east, the Rhine flows north, and the Seine flows west.
            updates: 16
            finish: stop
            named: #0 b/claude-haiku-4-5-20251001
            trailer text: ''
            skfallback.cost_usd = 0.000089 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            total usage: input=14 output=15 total=-
            attempts:
              a gpt-4o-mini-2024-07-18 | ConnectionFailure | status=- | retry=0 | called | elapsed=30ms | HttpIOException: The response ended prematurely. (ResponseEnded)
              a gpt-4o-mini-2024-07-18 | ConnectionFailure | status=- | retry=1 | called | elapsed=30ms | HttpIOException: The response ended prematurely. (ResponseEnded)
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=65ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=15 | cost=0.000089 | estimated=- | reported=True | at=+125ms | settles=-
            """, Pin.Stream(updates, rig.Ledger));
    }

    [Fact]
    public async Task GetStreamingResponse_NoFinishReasonBeforeCommit_TruncatedAndSwitched()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Words("The Danube", clock, 10, finish: false));
        var b = Streams("b", Words(Answer, clock, 5, input: 14, output: 15));
        using var rig = Rig.Of(clock, (a, Mini), (b, Haiku));

        var updates = await rig.Read();

        Pin.Match("""
            text: The Danube flows east, the Rhine flows north, and the Seine flows west.
            updates: 16
            finish: stop
            named: #0 b/claude-haiku-4-5-20251001
            trailer text: ''
            skfallback.cost_usd = 0.000089 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            total usage: input=14 output=15 total=-
            attempts:
              a gpt-4o-mini-2024-07-18 | TruncatedStream | status=200 | retry=0 | called | elapsed=20ms | the stream ended without a finish reason
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=65ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=15 | cost=0.000089 | estimated=- | reported=True | at=+85ms | settles=-
            """, Pin.Stream(updates, rig.Ledger));
    }

    [Fact]
    public async Task GetStreamingResponse_EveryProviderFails_Exhausted()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Fails(() => Status(500), clock, 10));
        var b = Streams("b", Fails(() => Status(404), clock, 5));
        using var rig = Rig.Of(clock, o => o.MaxRetriesPerProvider = 0, (a, Mini), (b, Haiku));

        var error = await Assert.ThrowsAsync<FallbackExhaustedException>(() => rig.Read());

        Pin.Match("""
            threw: FallbackExhaustedException
            message: Every provider in the fallback chain failed (2 attempts over 2 providers).
              - a/gpt-4o-mini-2024-07-18: ServerError HTTP 500 after 10 ms: HttpRequestException: Response status code does not indicate success: 500.
              - b/claude-haiku-4-5-20251001: NotFound HTTP 404 after 5 ms: HttpRequestException: Response status code does not indicate success: 404.
            output committed: False
            inner: ProviderException (HttpRequestException)
            attempts:
              a gpt-4o-mini-2024-07-18 | ServerError | status=500 | retry=0 | called | elapsed=10ms | HttpRequestException: Response status code does not indicate success: 500.
              b claude-haiku-4-5-20251001 | NotFound | status=404 | retry=0 | called | elapsed=5ms | HttpRequestException: Response status code does not indicate success: 404.
            ledger:
              (none)
            """, Pin.Failure(error, rig.Ledger));
    }

    [Fact]
    public async Task GetStreamingResponse_DeadlinePassesBetweenAttempts_ExhaustedWithAChainEntry()
    {
        var clock = new FakeTimeProvider();
        var b = Streams("b", Words("unused"));
        using var rig = Rig.Of(clock, o => o.Deadline = TimeSpan.FromSeconds(1), (Streams("a", Fails(() => Status(503), clock, 1000)), Mini), (b, Haiku));

        var error = await Assert.ThrowsAsync<FallbackExhaustedException>(() => rig.Read());

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
    public async Task GetStreamingResponse_NoFirstTokenInTime_FallsBack()
    {
        var clock = new FakeTimeProvider();
        var b = Streams("b", Words(Answer, clock, 5, input: 14, output: 15));
        using var rig = Rig.Of(clock, o => o.FirstTokenTimeout = TimeSpan.FromSeconds(3), (Streams("a", Silent()), Mini), (b, Haiku));

        // The stream's first wait arms the first-token timer before the read returns its task.
        var read = rig.Read();
        clock.Advance(TimeSpan.FromSeconds(3));
        var updates = await read.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct);

        Pin.Match("""
            text: The Danube flows east, the Rhine flows north, and the Seine flows west.
            updates: 16
            finish: stop
            named: #0 b/claude-haiku-4-5-20251001
            trailer text: ''
            skfallback.cost_usd = 0.000089 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            total usage: input=14 output=15 total=-
            attempts:
              a gpt-4o-mini-2024-07-18 | FirstTokenTimeout | status=- | retry=0 | called | elapsed=3000ms | no content before the first-token timeout
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=65ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=15 | cost=0.000089 | estimated=- | reported=True | at=+3065ms | settles=-
            """, Pin.Stream(updates, rig.Ledger));
    }
}
