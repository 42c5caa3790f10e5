using Microsoft.Extensions.Time.Testing;
using SkFallback.Routing;
using static SkFallback.Tests.Characterization.Scripted;

namespace SkFallback.Tests.Characterization;

/// <summary>
/// Pins hedged and parallel races. The losers are charged when they stop, concurrently with the winner, so the
/// ledger is rendered sorted; the race's own records (attempts) are in the order the engine wrote them.
/// </summary>
public class RacePathTests
{
    private static void Hedge(FallbackOptions options, HedgingMode mode, int maxAttempts = 2)
    {
        options.MaxRetriesPerProvider = 0;
        options.AttemptTimeout = TimeSpan.FromMinutes(5);
        var hedging = options.Routing.Hedging;
        hedging.Mode = mode;
        hedging.MaxAttempts = maxAttempts;
        hedging.Delay = TimeSpan.FromMilliseconds(500);
        hedging.DelayFromObservedP95 = false;
        hedging.MaxExtraAttemptFraction = maxAttempts - 1;
    }

    /// <summary>Waits until <paramref name="records"/> attempts are charged and every racer's cost is settled against the hedge budget.</summary>
    private static Task Settled(Rig rig, int records) => Rig.WaitUntil(() =>
        rig.Ledger.Records == records && rig.Client.Hedging.PrimaryCostUsd + rig.Client.Hedging.HedgeCostUsd == rig.Ledger.Inner.Total.CostUsd);

    private static string Snapshot(FallbackChatClient client) =>
        $"hedging: races={client.Hedging.Races} hedges={client.Hedging.Hedges} primary={Pin.Number(client.Hedging.PrimaryCostUsd)} hedge={Pin.Number(client.Hedging.HedgeCostUsd)}";

    [Fact]
    public async Task GetResponse_HedgedPrimarySlow_BackupWinsAndThePrimaryIsCancelledAndCharged()
    {
        var clock = new FakeTimeProvider();
        var b = Calls("b", Reply("Danube, Rhine, Seine.", clock, 40, input: 14, output: 6));
        using var rig = Rig.Of(clock, o => Hedge(o, HedgingMode.Hedged), (Calls("a", Hang()), Mini), (b, Haiku));

        // The primary hangs and the hedge timer is set by the time the call returns its task.
        var call = rig.Ask();
        clock.Advance(TimeSpan.FromMilliseconds(500));
        var response = await call.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct);
        await Settled(rig, 2);

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.000044 (decimal)
            skfallback.estimated_cost_usd = 0.00513600 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            attempts:
              a gpt-4o-mini-2024-07-18 | Cancelled | status=- | retry=0 | called | elapsed=540ms | lost the race to b; cancelled
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=40ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | Cancelled | tenant=- | prompt=13 | output=0 | cost=0.00000195 | estimated=0.00061635 | reported=False | at=+540ms | settles=-
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=6 | cost=0.000044 | estimated=0.00513600 | reported=True | at=+540ms | settles=-
            hedging: races=1 hedges=1 primary=0.00000195 hedge=0.000044
            """, Pin.Response(response, rig.Ledger, sortLedger: true) + "\n" + Snapshot(rig.Client));
    }

    [Fact]
    public async Task GetResponse_Parallel_FirstAnswerWinsAndTheOthersAreCancelled()
    {
        var clock = new FakeTimeProvider();
        var b = Calls("b", Reply("Danube, Rhine, Seine.", clock, 40, input: 14, output: 6));
        using var rig = Rig.Of(clock, o => Hedge(o, HedgingMode.Parallel, maxAttempts: 3), (Calls("a", Hang()), Mini), (b, Haiku), (Calls("c", Hang()), Gpt4o));

        var response = await rig.Ask().WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct);
        await Settled(rig, 3);

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.000044 (decimal)
            skfallback.estimated_cost_usd = 0.00513600 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            attempts:
              a gpt-4o-mini-2024-07-18 | Cancelled | status=- | retry=0 | called | elapsed=40ms | lost the race to b; cancelled
              c gpt-4o-2024-08-06 | Cancelled | status=- | retry=0 | called | elapsed=0ms | lost the race to b; cancelled
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=40ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | Cancelled | tenant=- | prompt=13 | output=0 | cost=0.00000195 | estimated=0.00061635 | reported=False | at=+40ms | settles=-
              record b claude-haiku-4-5-20251001 | None | tenant=- | prompt=14 | output=6 | cost=0.000044 | estimated=0.00513600 | reported=True | at=+40ms | settles=-
              record c gpt-4o-2024-08-06 | Cancelled | tenant=- | prompt=13 | output=0 | cost=0.0000325 | estimated=0.01027250 | reported=False | at=+40ms | settles=-
            hedging: races=1 hedges=2 primary=0.00000195 hedge=0.0000765
            """, Pin.Response(response, rig.Ledger, sortLedger: true) + "\n" + Snapshot(rig.Client));
    }

    // Pinned at 550 ms before the engine redesign: racers ran on forks of the call, so the chain's next attempt took
    // the call's start as its own. Racers now start attempts of the call itself, and c's elapsed is its own 30 ms.
    [Fact]
    public async Task GetResponse_HedgedEveryRacerFails_TheChainGoesOnToTheNextProvider()
    {
        var clock = new FakeTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = Calls("a", After(gate.Task, Throw(() => Status(500))));
        var b = Calls("b", Throw(() => Status(502), clock, 20));
        var c = Calls("c", Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        using var rig = Rig.Of(clock, o => Hedge(o, HedgingMode.Hedged), (a, Mini), (b, Haiku), (c, Gpt4o));

        var call = rig.Ask();
        clock.Advance(TimeSpan.FromMilliseconds(500));
        await Rig.WaitUntil(() => b.Calls == 1);
        gate.SetResult();
        var response = await call.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct);

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.000095 (decimal)
            skfallback.estimated_cost_usd = 0.01027250 (decimal)
            skfallback.model = gpt-4o-2024-08-06
            skfallback.provider = c
            attempts:
              a gpt-4o-mini-2024-07-18 | ServerError | status=500 | retry=0 | called | elapsed=520ms | HttpRequestException: Response status code does not indicate success: 500.
              b claude-haiku-4-5-20251001 | ServerError | status=502 | retry=0 | called | elapsed=20ms | HttpRequestException: Response status code does not indicate success: 502.
              c gpt-4o-2024-08-06 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record c gpt-4o-2024-08-06 | None | tenant=- | prompt=14 | output=6 | cost=0.000095 | estimated=0.01027250 | reported=True | at=+550ms | settles=-
            hedging: races=1 hedges=1 primary=0 hedge=0
            """, Pin.Response(response, rig.Ledger) + "\n" + Snapshot(rig.Client));
    }

    [Fact]
    public async Task GetResponse_HedgedPrimaryAnswersBeforeTheDelay_NoHedge()
    {
        var clock = new FakeTimeProvider();
        var b = Calls("b", Reply("unused"));
        using var rig = Rig.Of(clock, o => Hedge(o, HedgingMode.Hedged), (Calls("a", Reply("Danube, Rhine, Seine.", clock, 40)), Mini), (b, Haiku));

        var response = await rig.Ask().WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct);

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.00000615 (decimal)
            skfallback.estimated_cost_usd = 0.00061635 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            attempts:
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=0 | called | elapsed=40ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=13 | output=7 | cost=0.00000615 | estimated=0.00061635 | reported=False | at=+40ms | settles=-
            hedging: races=1 hedges=0 primary=0.00000615 hedge=0
            b calls: 0
            """, Pin.Response(response, rig.Ledger) + "\n" + Snapshot(rig.Client) + $"\nb calls: {b.Calls}");
    }
}
