using SkFallback.Cost;
using SkFallback.Engine;
using SkFallback.Routing;
using SkFallback.Streaming;

namespace SkFallback.Hedging;

/// <summary>
/// One racer of a hedged or parallel call: its provider, its own token (linked to the caller's; cancelled when it
/// loses), its one attempt, and what it recorded and spent until its race takes that into the call.
/// </summary>
internal sealed class RaceSlot : IDisposable
{
    private readonly CancellationTokenSource _token;
    private bool _settled;

    public RaceSlot(ChainProvider provider, bool probe, bool hedge, decimal? held, CancellationToken callerToken)
    {
        Provider = provider;
        Probe = probe;
        Hedge = hedge;
        Held = held;
        _token = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
    }

    public ChainProvider Provider { get; }

    public bool Probe { get; }

    /// <summary>Gets a value indicating whether the racer was started as a hedge (after the delay, or in parallel).</summary>
    public bool Hedge { get; }

    /// <summary>Gets the upper-bound cost a hedge holds against the hedge budget (under a cost cap).</summary>
    public decimal? Held { get; }

    public string Role => Hedge ? "hedge" : "primary";

    /// <summary>Gets the racer's token: the caller's, and the race's when it loses.</summary>
    public CancellationToken Token => _token.Token;

    /// <summary>Gets or sets the tenant budget held for the racer's attempt.</summary>
    public SpendReservation? Reservation { get; set; }

    public long Start { get; set; }

    /// <summary>Gets or sets the racer's work: it completes when the racer has an outcome.</summary>
    public Task Task { get; set; } = Task.CompletedTask;

    /// <summary>Gets or sets a value indicating whether the race has taken the racer's outcome.</summary>
    public bool Ended { get; set; }

    /// <summary>Gets or sets a value indicating whether the chain's deadline had passed when the racer was to start.</summary>
    public bool Expired { get; set; }

    /// <summary>Gets or sets the racer's attempt, once started.</summary>
    public Attempt? Attempt { get; set; }

    /// <summary>Gets or sets a non-streaming racer's outcome.</summary>
    public SendOutcome Outcome { get; set; }

    /// <summary>Gets or sets a streaming racer's stream.</summary>
    public StreamAttempt? Stream { get; set; }

    /// <summary>Gets the racer's own attempt records, taken into the call in start order when the race ends.</summary>
    public AttemptList Records { get; } = new();

    /// <summary>Gets or sets what the racer was charged.</summary>
    public decimal Spent { get; set; }

    /// <summary>Gets or sets the context window the racer's provider showed too small, if it did.</summary>
    public int? ContextFloor { get; set; }

    /// <summary>Gets or sets the last exception the racer's provider threw.</summary>
    public Exception? LastException { get; set; }

    public void Cancel() => _token.Cancel();

    /// <summary>Settles the racer's cost against the hedge budget, once: a primary's earns the budget its share; a hedge's settles what it held.</summary>
    public void Settle(HedgeBudget budget, decimal costUsd)
    {
        if (_settled)
        {
            return;
        }

        _settled = true;
        if (Hedge)
        {
            budget.SettleHedge(Held, costUsd);
        }
        else
        {
            budget.OnPrimaryCost(costUsd);
        }
    }

    /// <summary>Takes what the racer recorded into the call (only the race's coordinator calls this).</summary>
    public void JoinInto(CallState call)
    {
        call.Attempts.AddRange(Records);
        call.Spent += Spent;
        call.LastException = LastException ?? call.LastException;
        if (ContextFloor is int floor)
        {
            call.ContextFloor = Math.Max(call.ContextFloor ?? 0, floor);
        }
    }

    public void Dispose() => _token.Dispose();
}
