namespace SkFallback.Routing;

/// <summary>
/// Caps what hedging adds, with two credit buckets shared by every call of a chain. Each call earns
/// <see cref="HedgingOptions.MaxExtraAttemptFraction"/> of an attempt (saved up to a hundred calls' worth, and at least
/// one); a hedge spends one. With a cost cap, every primary attempt's cost earns
/// <see cref="HedgingOptions.MaxExtraCostFraction"/> of itself; a hedge holds its upper-bound cost when it starts and
/// gives back the difference once its real cost is known, so the hedges never cost more than the cap.
/// </summary>
internal sealed class HedgeBudget
{
    private readonly Lock _gate = new();
    private readonly double _attemptFraction;
    private readonly double _attemptCap;
    private readonly decimal? _costFraction;
    private double _attemptCredit;
    private decimal _costCredit;
    private long _calls;
    private long _hedges;
    private decimal _primaryCost;
    private decimal _hedgeCost;

    public HedgeBudget(HedgingOptions options)
    {
        _attemptFraction = options.MaxExtraAttemptFraction;
        _attemptCap = Math.Max(1, 100 * _attemptFraction);
        _attemptCredit = Math.Min(1, _attemptCap);
        _costFraction = options.MaxExtraCostFraction is { } fraction ? (decimal)fraction : null;
    }

    /// <summary>Gets a value indicating whether hedges are capped by cost.</summary>
    public bool CapsCost => _costFraction is not null;

    /// <summary>Gets how many races were started (calls that raced).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Gets how many hedges were started.</summary>
    public long Hedges => Interlocked.Read(ref _hedges);

    /// <summary>Gets what the primary attempts of racing calls cost.</summary>
    public decimal PrimaryCost
    {
        get
        {
            lock (_gate)
            {
                return _primaryCost;
            }
        }
    }

    /// <summary>Gets what the hedges cost, as far as their costs are known.</summary>
    public decimal HedgeCost
    {
        get
        {
            lock (_gate)
            {
                return _hedgeCost;
            }
        }
    }

    /// <summary>A racing call begins: it earns its share of an extra attempt.</summary>
    public void OnCall()
    {
        lock (_gate)
        {
            _calls++;
            _attemptCredit = Math.Min(_attemptCap, _attemptCredit + _attemptFraction);
        }
    }

    /// <summary>
    /// Takes what one hedge needs: an attempt's credit and, under a cost cap, its upper-bound cost
    /// (<paramref name="upperBoundUsd"/>; a hedge without one is refused under a cost cap).
    /// </summary>
    /// <returns>Why the hedge may not start, or <see langword="null"/> when it may.</returns>
    public string? TryTake(decimal? upperBoundUsd)
    {
        lock (_gate)
        {
            if (_attemptCredit < 1)
            {
                return $"the hedge budget allows {_attemptFraction:0.###} extra attempts per call";
            }

            if (_costFraction is not null)
            {
                if (upperBoundUsd is not { } bound)
                {
                    return "its model has no catalog price, so its cost cannot be held against the hedge budget";
                }

                if (bound > _costCredit)
                {
                    return $"it could cost up to {bound:0.######} USD and the hedge budget has {Math.Max(0m, _costCredit):0.######} USD";
                }

                _costCredit -= bound;
            }

            _attemptCredit -= 1;
            _hedges++;
            return null;
        }
    }

    /// <summary>A hedge's real cost is known: the difference from what it held goes back.</summary>
    public void SettleHedge(decimal? heldUsd, decimal costUsd)
    {
        lock (_gate)
        {
            _hedgeCost += costUsd;
            if (_costFraction is not null && heldUsd is { } held)
            {
                _costCredit += held - costUsd;
            }
        }
    }

    /// <summary>A primary attempt's cost is known: it earns the hedges their share of it.</summary>
    public void OnPrimaryCost(decimal costUsd)
    {
        lock (_gate)
        {
            _primaryCost += costUsd;
            if (_costFraction is { } fraction)
            {
                _costCredit += costUsd * fraction;
            }
        }
    }
}
