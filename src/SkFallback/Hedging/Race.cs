using System.Diagnostics;
using SkFallback.Engine;

namespace SkFallback.Hedging;

/// <summary>
/// A race: starts the primary (and, in parallel mode, the next candidates at once; in hedged mode, each next one
/// after the hedge delay) and ends when one wins, with the others cancelled and left to be charged when they stop;
/// or when every racer failed, and the chain goes on from <see cref="Walk"/>. The race's coordinator is the only
/// writer of the call's attempts.
/// </summary>
internal abstract class Race
{
    private readonly Routing.HedgingMode _mode;
    private readonly bool _streaming;

    protected Race(Chain chain, CallState call, CandidateWalk walk, Routing.HedgingMode mode, Activity? activity, bool streaming)
    {
        Chain = chain;
        Call = call;
        Walk = walk;
        _mode = mode;
        Activity = activity;
        _streaming = streaming;
    }

    /// <summary>The rest of the chain, past the candidates the race took.</summary>
    public CandidateWalk Walk;

    protected Chain Chain { get; }

    protected CallState Call { get; }

    protected Activity? Activity { get; }

    protected List<RaceSlot> Slots { get; } = new(2);

    /// <summary>Runs the race: the winner (the others cancelled), or <see langword="null"/> when every racer failed.</summary>
    public async Task<RaceSlot?> RunAsync()
    {
        var settings = Chain.Hedging;
        if (StartFirst() is not int hedgesLeft)
        {
            return null;
        }

        using var timerSource = hedgesLeft > 0 ? new CancellationTokenSource() : null;
        Task? timer = null;
        var waiting = new List<Task>(settings.MaxAttempts + 1);
        try
        {
            while (true)
            {
                if (!Waiting(waiting))
                {
                    // Every racer failed: the chain goes on one candidate at a time, at once.
                    Abandon(winner: null);
                    return null;
                }

                if (timer is null && hedgesLeft > 0)
                {
                    timer = Task.Delay(HedgeDelay(Slots[0].Provider), Chain.Time, timerSource!.Token);
                }

                if (timer is not null)
                {
                    waiting.Add(timer);
                }

                var done = await Task.WhenAny(waiting).ConfigureAwait(false);
                if (done == timer)
                {
                    timer = null;
                    hedgesLeft = TryStart(hedge: true) ? hedgesLeft - 1 : 0;
                    continue;
                }

                if (await FinishedAsync(Slots.Find(r => r.Task == done)!).ConfigureAwait(false) is { } winner)
                {
                    return winner;
                }
            }
        }
        finally
        {
            if (timer is { IsCompleted: false })
            {
                // Synchronously: the timer's callback is cheap, and an asynchronous cancel would make the caller wait for the thread pool.
                timerSource!.Cancel();
            }
        }
    }

    /// <summary>Starts the primary (in parallel mode, every racer at once): the hedges left to start after delays, or <see langword="null"/> when no candidate could start.</summary>
    private int? StartFirst()
    {
        Chain.HedgeBudget.OnCall();
        if (!TryStart(hedge: false))
        {
            return null;
        }

        var hedgesLeft = Chain.Hedging.MaxAttempts - 1;
        if (_mode != Routing.HedgingMode.Parallel)
        {
            return hedgesLeft;
        }

        while (hedgesLeft > 0 && TryStart(hedge: true))
        {
            hedgesLeft--;
        }

        return 0;
    }

    /// <summary>Starts the racer's work (sets <see cref="RaceSlot.Task"/>).</summary>
    protected abstract void Start(RaceSlot slot);

    /// <summary>Whether a racer whose work completed won.</summary>
    protected abstract bool Won(RaceSlot slot);

    /// <summary>Ends a racer that failed: its failure, or <see langword="null"/> when it could not start for the deadline.</summary>
    protected abstract ValueTask<Routing.FailureClassification?> EndAsync(RaceSlot slot);

    /// <summary>Waits for a cancelled racer to stop, ends its attempt, charges what it used and settles it.</summary>
    protected abstract Task CollectAsync(RaceSlot slot);

    /// <summary>The tasks to wait on: the racers still running.</summary>
    private bool Waiting(List<Task> waiting)
    {
        waiting.Clear();
        foreach (var slot in Slots)
        {
            if (!slot.Ended)
            {
                waiting.Add(slot.Task);
            }
        }

        return waiting.Count > 0;
    }

    /// <summary>A racer's work completed: the winner, or <see langword="null"/> when it failed and the race goes on (or throws when the call ends).</summary>
    private async Task<RaceSlot?> FinishedAsync(RaceSlot finished)
    {
        try
        {
            await finished.Task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Call.CallerToken.IsCancellationRequested)
        {
            // The caller left: every racer, this one included, is cancelled and charged when it stops.
            Abandon(winner: null);
            throw;
        }

        finished.Ended = true;
        if (Won(finished))
        {
            Abandon(finished);
            return finished;
        }

        if (await EndAsync(finished).ConfigureAwait(false) is not { } failure)
        {
            Abandon(winner: null);
            throw Chain.Failures.Exhausted(Call, Activity, deadline: true);
        }

        var step = await FailureStep.TakeAsync(Chain, Call, finished.Attempt!, failure, null, finished).ConfigureAwait(false);
        finished.Settle(Chain.HedgeBudget, finished.Spent);
        if (step == NextStep.Stop)
        {
            Abandon(winner: null);
            throw Chain.Failures.StopWith(Call, Activity, failure);
        }

        return null;
    }

    /// <summary>How long a hedged call waits on <paramref name="primary"/> before it starts the next candidate.</summary>
    private TimeSpan HedgeDelay(Routing.ChainProvider primary)
    {
        var settings = Chain.Hedging;
        if (settings.DelayFromObservedP95 && (_streaming ? primary.Health.FirstTokenP95() : primary.Health.LatencyP95()) is { } observed)
        {
            return observed;
        }

        return settings.Delay;
    }

    /// <summary>Takes the next candidate from the walk and starts it; a hedge must first fit the hedge budget.</summary>
    private bool TryStart(bool hedge)
    {
        var budget = Chain.HedgeBudget;
        while (Walk.TryNext(out var provider, out var probe))
        {
            decimal? held = null;
            if (hedge)
            {
                held = Call.Routing?.UpperBoundUsd(provider.Candidate, Chain.Planner.Budget.ReserveMargin);
                if (budget.TryTake(held) is { } reason)
                {
                    // Not lost: the chain tries it in turn if the race fails.
                    Walk.GiveBack(provider, probe);
                    Chain.Recorder.HedgeRefused(provider, reason);
                    return false;
                }

                if (!budget.CapsCost)
                {
                    held = null;
                }
            }

            var slot = new RaceSlot(provider, probe, hedge, held, Call.CallerToken);
            if (!Chain.Reserve(Call, provider, out var reservation))
            {
                // The tenant's budget cannot hold it: recorded as skipped, and the next candidate is asked.
                slot.Settle(budget, 0m);
                slot.Dispose();
                continue;
            }

            slot.Reservation = reservation;
            if (hedge && Slots.Count > 0)
            {
                var primary = Slots[0];
                Chain.Recorder.Hedging(primary.Provider, Chain.Time.GetElapsedTime(primary.Start), provider);
            }

            slot.Start = Chain.Time.GetTimestamp();
            Start(slot);
            Slots.Add(slot);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Ends the race: cancels the racers still running and records them as cancelled (they are charged when they
    /// stop), and takes the records of those that ended into the call, in the order they started. The winner's own
    /// record comes last, when its answer is complete.
    /// </summary>
    private void Abandon(RaceSlot? winner)
    {
        var recorder = Chain.Recorder;
        foreach (var slot in Slots)
        {
            recorder.Racer(slot.Provider, slot.Role, won: slot == winner);
            if (slot == winner)
            {
                continue;
            }

            if (slot.Ended)
            {
                slot.JoinInto(Call);
                slot.Dispose();
                continue;
            }

            slot.Cancel();
            var reason = winner is null ? "cancelled: the race ended" : $"lost the race to {winner.Provider.Name}; cancelled";
            recorder.Cancelled(Call, slot.Provider, Chain.Time.GetElapsedTime(slot.Start), reason);
            _ = CollectAsync(slot);
        }

        if (winner is not null)
        {
            recorder.RaceWon(winner.Provider, Slots.Count);
        }

        Slots.Clear();
    }
}
