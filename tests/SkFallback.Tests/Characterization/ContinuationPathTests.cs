using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Streaming;
using static SkFallback.Tests.Characterization.Scripted;

namespace SkFallback.Tests.Characterization;

/// <summary>Pins streams that break after commit: continued on the next provider (text joined, continued-from, estimated usage), prefill refused then instructed, stalls, and continuation off.</summary>
public class ContinuationPathTests
{
    /// <summary>Twelve words: past the commit buffer (8 updates) and the refusal probe.</summary>
    private const string Head = "The Danube flows east through Vienna, the Rhine flows north past Cologne,";

    private const string Tail = "and the Seine flows west through Paris.";

    private static bool IsPrefill(IEnumerable<ChatMessage> messages) => messages.Last().Role == ChatRole.Assistant;

    [Fact]
    public async Task GetStreamingResponse_DroppedAfterCommit_ContinuedOnTheNextProvider()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Words(Head, clock, 10, throwAfter: Dropped));
        var b = Streams("b", Words(Tail, clock, 5, input: 60, output: 9));
        using var rig = Rig.Of(clock, (a, Mini), (b, Haiku));

        var updates = await rig.Read();

        Pin.Match("""
            text: The Danube flows east through Vienna, the Rhine flows north past Cologne,and the Seine flows west through Paris.
            updates: 23
            finish: stop
            named: #0 a/gpt-4o-mini-2024-07-18, #14 b/claude-haiku-4-5-20251001
            trailer text: ''
            skfallback.continued_from = [a, b]
            skfallback.cost_usd = 0.000105 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            trailer usage: input=13 output=15 total=28 skfallback.estimated_input_tokens=13 skfallback.estimated_output_tokens=15
            total usage: input=73 output=24 total=28 skfallback.estimated_input_tokens=13 skfallback.estimated_output_tokens=15
            attempts:
              a gpt-4o-mini-2024-07-18 | ConnectionFailure | status=- | retry=0 | called | elapsed=120ms | HttpIOException: The response ended prematurely. (ResponseEnded)
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=35ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=60 | output=9 | cost=0.000105 | estimated=- | reported=True | at=+155ms | settles=-
            b asked: user / user
            """, Pin.Stream(updates, rig.Ledger) + $"\nb asked: {string.Join(" / ", b.ReceivedMessages[0].Select(m => m.Role.Value))}");
    }

    [Fact]
    public async Task GetStreamingResponse_DroppedAfterCommitUnderABudget_EveryPartChargedWithEstimates()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Words(Head, clock, 10, throwAfter: Dropped));
        var b = Streams("b", Words(Tail, clock, 5));
        using var rig = Rig.Of(clock, o => o.Budget.MaxCostPerCall = 1m, (a, Mini), (b, Haiku));

        var updates = await rig.Read();

        Pin.Match("""
            text: The Danube flows east through Vienna, the Rhine flows north past Cologne,and the Seine flows west through Paris.
            updates: 23
            finish: stop
            named: #0 a/gpt-4o-mini-2024-07-18, #14 b/claude-haiku-4-5-20251001
            trailer text: ''
            skfallback.continued_from = [a, b]
            skfallback.cost_usd = 0.00007075 (decimal)
            skfallback.estimated_cost_usd = 0.00513600 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            trailer usage: input=13 output=15 total=28 skfallback.estimated_input_tokens=13 skfallback.estimated_output_tokens=15
            total usage: input=13 output=15 total=28 skfallback.estimated_input_tokens=13 skfallback.estimated_output_tokens=15
            attempts:
              a gpt-4o-mini-2024-07-18 | ConnectionFailure | status=- | retry=0 | called | elapsed=120ms | HttpIOException: The response ended prematurely. (ResponseEnded)
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=35ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | ConnectionFailure | tenant=- | prompt=13 | output=13 | cost=0.00000975 | estimated=0.00061635 | reported=False | at=+120ms | settles=-
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=16 | output=9 | cost=0.000061 | estimated=0.00513600 | reported=False | at=+155ms | settles=-
            """, Pin.Stream(updates, rig.Ledger));
    }

    [Fact]
    public async Task GetStreamingResponse_PrefillRejectedWith400_SameProviderAskedAgainInstructed()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Words(Head, clock, 10, throwAfter: Dropped));
        var b = new Fakes.TestChatClient("b")
        {
            OnStreaming = (messages, _, ct) => IsPrefill(messages) ? Fails(() => Status(400), clock, 7)(messages, ct) : Words(Tail, clock, 5, input: 60, output: 9)(messages, ct),
        };
        using var rig = Rig.Of(clock, o => o.Providers[1].Continuation = ContinuationMode.AssistantPrefill, (a, Mini), (b, Haiku));

        var updates = await rig.Read();

        Pin.Match("""
            text: The Danube flows east through Vienna, the Rhine flows north past Cologne,and the Seine flows west through Paris.
            updates: 23
            finish: stop
            named: #0 a/gpt-4o-mini-2024-07-18, #14 b/claude-haiku-4-5-20251001
            trailer text: ''
            skfallback.continued_from = [a, b]
            skfallback.cost_usd = 0.000105 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            trailer usage: input=13 output=15 total=28 skfallback.estimated_input_tokens=13 skfallback.estimated_output_tokens=15
            total usage: input=73 output=24 total=28 skfallback.estimated_input_tokens=13 skfallback.estimated_output_tokens=15
            attempts:
              a gpt-4o-mini-2024-07-18 | ConnectionFailure | status=- | retry=0 | called | elapsed=120ms | HttpIOException: The response ended prematurely. (ResponseEnded)
              b claude-haiku-4-5-20251001 | CallerError | status=400 | retry=0 | called | elapsed=7ms | HttpRequestException: Response status code does not indicate success: 400.
              b claude-haiku-4-5-20251001 | None | status=- | retry=1 | called | elapsed=35ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=60 | output=9 | cost=0.000105 | estimated=- | reported=True | at=+162ms | settles=-
            b asked: user / assistant | user / user
            """, Pin.Stream(updates, rig.Ledger) + "\nb asked: " + string.Join(" | ", b.ReceivedMessages.Select(r => string.Join(" / ", r.Select(m => m.Role.Value)))));
    }

    [Fact]
    public async Task GetStreamingResponse_StalledAfterCommit_ContinuedOnTheNextProvider()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Words(Head, clock, 10, hang: true));
        var b = Streams("b", Words(Tail, clock, 5, input: 60, output: 9));
        using var rig = Rig.Of(clock, o => o.Streaming.StallTimeout = TimeSpan.FromMilliseconds(400), (a, Mini), (b, Haiku));

        // The stream's first wait starts the stall watch before the read returns its task.
        var read = rig.Read();
        clock.Advance(TimeSpan.FromMilliseconds(400));
        var updates = await read.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct);

        Pin.Match("""
            text: The Danube flows east through Vienna, the Rhine flows north past Cologne,and the Seine flows west through Paris.
            updates: 23
            finish: stop
            named: #0 a/gpt-4o-mini-2024-07-18, #14 b/claude-haiku-4-5-20251001
            trailer text: ''
            skfallback.continued_from = [a, b]
            skfallback.cost_usd = 0.000105 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            trailer usage: input=13 output=15 total=28 skfallback.estimated_input_tokens=13 skfallback.estimated_output_tokens=15
            total usage: input=73 output=24 total=28 skfallback.estimated_input_tokens=13 skfallback.estimated_output_tokens=15
            attempts:
              a gpt-4o-mini-2024-07-18 | Stalled | status=- | retry=0 | called | elapsed=520ms | no update for 400 ms (stall limit 400 ms)
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=35ms | -
            ledger:
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=60 | output=9 | cost=0.000105 | estimated=- | reported=True | at=+555ms | settles=-
            """, Pin.Stream(updates, rig.Ledger));
    }

    [Fact]
    public async Task GetStreamingResponse_DroppedAfterCommitContinuationOff_ThrowsWithOutputCommitted()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Words(Head, clock, 10, throwAfter: Dropped));
        var b = Streams("b", Words(Tail));
        using var rig = Rig.Of(clock, o => o.Streaming.ContinueAfterCommit = false, (a, Mini), (b, Haiku));
        var received = new List<ChatResponseUpdate>();

        var error = await Assert.ThrowsAsync<FallbackExhaustedException>(async () =>
        {
            await foreach (var update in rig.Client.GetStreamingResponseAsync("Name three rivers in Europe.", cancellationToken: Rig.Ct))
            {
                received.Add(update);
            }
        });

        Pin.Match("""
            threw: FallbackExhaustedException
            message: The stream failed with ConnectionFailure after part of the answer was delivered.
              - a/gpt-4o-mini-2024-07-18: ConnectionFailure after 120 ms: HttpIOException: The response ended prematurely. (ResponseEnded)
            output committed: True
            inner: ProviderException (HttpIOException)
            attempts:
              a gpt-4o-mini-2024-07-18 | ConnectionFailure | status=- | retry=0 | called | elapsed=120ms | HttpIOException: The response ended prematurely. (ResponseEnded)
            ledger:
              (none)
            received: The Danube flows east through Vienna, the Rhine flows north past Cologne,
            b calls: 0
            """, Pin.Failure(error, rig.Ledger) + $"\nreceived: {string.Concat(received.Select(u => u.Text))}\nb calls: {b.Calls}");
    }

    [Fact]
    public async Task GetStreamingResponse_ContinuationAlsoFails_ThrowsWithOutputCommitted()
    {
        var clock = new FakeTimeProvider();
        var a = Streams("a", Words(Head, clock, 10, throwAfter: Dropped));
        var b = Streams("b", Fails(() => Status(503), clock, 5));
        using var rig = Rig.Of(clock, (a, Mini), (b, Haiku));
        var received = new List<ChatResponseUpdate>();

        var error = await Assert.ThrowsAsync<FallbackExhaustedException>(async () =>
        {
            await foreach (var update in rig.Client.GetStreamingResponseAsync("Name three rivers in Europe.", cancellationToken: Rig.Ct))
            {
                received.Add(update);
            }
        });

        Pin.Match("""
            threw: FallbackExhaustedException
            message: The stream failed with ServerError after part of the answer was delivered.
              - a/gpt-4o-mini-2024-07-18: ConnectionFailure after 120 ms: HttpIOException: The response ended prematurely. (ResponseEnded)
              - b/claude-haiku-4-5-20251001: ServerError HTTP 503 after 5 ms: HttpRequestException: Response status code does not indicate success: 503.
            output committed: True
            inner: ProviderException (HttpRequestException)
            attempts:
              a gpt-4o-mini-2024-07-18 | ConnectionFailure | status=- | retry=0 | called | elapsed=120ms | HttpIOException: The response ended prematurely. (ResponseEnded)
              b claude-haiku-4-5-20251001 | ServerError | status=503 | retry=0 | called | elapsed=5ms | HttpRequestException: Response status code does not indicate success: 503.
            ledger:
              (none)
            received: The Danube flows east through Vienna, the Rhine flows north past Cologne,
            b calls: 1
            """, Pin.Failure(error, rig.Ledger) + $"\nreceived: {string.Concat(received.Select(u => u.Text))}\nb calls: {b.Calls}");
    }
}
