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
