namespace SkFallback.Cost;

/// <summary>
/// What one agent turn may spend across all its model calls (a Semantic Kernel tool loop, or any calls that share
/// it through <see cref="FallbackMetadataKeys.TurnBudget"/>). Thread-safe.
/// </summary>
public sealed class TurnBudget
{
    private readonly Lock _gate = new();
    private decimal _spent;
    private int _calls;

    /// <summary>Initializes a new instance of the <see cref="TurnBudget"/> class.</summary>
    /// <param name="limitUsd">The most the turn may spend, in US dollars; positive.</param>
    public TurnBudget(decimal limitUsd)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitUsd);
        LimitUsd = limitUsd;
    }

    /// <summary>Gets the most the turn may spend.</summary>
    public decimal LimitUsd { get; }

    /// <summary>Gets what the turn has spent so far.</summary>
    public decimal SpentUsd
    {
        get
        {
            lock (_gate)
            {
                return _spent;
            }
        }
    }

    /// <summary>Gets what is left (never negative).</summary>
    public decimal RemainingUsd => Math.Max(0m, LimitUsd - SpentUsd);

    /// <summary>Gets a value indicating whether the turn has spent its whole limit.</summary>
    public bool IsSpent => SpentUsd >= LimitUsd;

    /// <summary>
    /// Gets the lowest cost the chain estimated for the turn's last model call among its eligible providers: a lower
    /// bound for the next round trip, whose prompt is longer. <see langword="null"/> before the first call or when no
    /// provider is priced.
    /// </summary>
    public decimal? CheapestCallUsd { get; internal set; }

    /// <summary>Gets a value indicating whether what is left cannot pay for another model call at the last estimate (or the limit is spent).</summary>
    public bool CannotAffordNextCall => IsSpent || (CheapestCallUsd is { } next && RemainingUsd < next);

    /// <summary>Gets why the turn's tool loop was ended for its budget, once it was (see <see cref="Stop"/>).</summary>
    public string? StopReason { get; private set; }

    /// <summary>Records that the turn's tool loop was ended because of this budget; <see cref="TurnBudgetChatClient"/> then ends the turn's answer with <paramref name="reason"/>.</summary>
    /// <param name="reason">A sentence for the caller.</param>
    public void Stop(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        StopReason = reason;
    }

    /// <summary>Gets how many model calls were charged to the turn.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Charges a model call's cost to the turn.</summary>
    /// <param name="costUsd">The cost; not negative.</param>
    public void Charge(decimal costUsd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(costUsd);
        lock (_gate)
        {
            _spent += costUsd;
            _calls++;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"turn budget: {SpentUsd:0.######} of {LimitUsd:0.######} USD spent";
}
