using SkFallback.Cost;

namespace SkFallback.Tests.Fakes;

/// <summary>
/// A <see cref="SpendLedger"/> that also remembers each hold and what it settled to, and which holds were in flight when
/// the last hold was taken: what the documented worst-case overshoot of a tenant budget is computed from.
/// </summary>
internal sealed class HoldingLedger : ISpendLedger
{
    private readonly Lock _gate = new();
    private readonly Dictionary<SpendReservation, decimal?> _holds = new(ReferenceEqualityComparer.Instance);
    private readonly List<decimal> _amounts = [];
    private List<SpendReservation> _inFlightAtLastHold = [];

    public HoldingLedger(TimeProvider? time = null)
    {
        Inner = new SpendLedger(time);
    }

    public SpendLedger Inner { get; }

    /// <summary>Gets the amounts of the holds taken, in order.</summary>
    public IReadOnlyList<decimal> Amounts
    {
        get
        {
            lock (_gate)
            {
                return [.. _amounts];
            }
        }
    }

    /// <summary>Gets how many holds were in flight (the last one included) when the last hold was taken.</summary>
    public int InFlightAtLastHold
    {
        get
        {
            lock (_gate)
            {
                return _inFlightAtLastHold.Count;
            }
        }
    }

    /// <summary>
    /// The documented worst-case overshoot, from what happened: Σ max(0, settled − held) over the holds in flight when the
    /// last hold was taken. A settled spend above limit + this would mean the ledger admitted past its limit.
    /// </summary>
    public decimal OvershootBound()
    {
        lock (_gate)
        {
            var bound = 0m;
            foreach (var hold in _inFlightAtLastHold)
            {
                bound += Math.Max(0m, (_holds[hold] ?? 0m) - hold.AmountUsd);
            }

            return bound;
        }
    }

    public bool TryReserve(string tenant, decimal dailyLimitUsd, decimal amountUsd, out SpendReservation? reservation)
    {
        lock (_gate)
        {
            if (!Inner.TryReserve(tenant, dailyLimitUsd, amountUsd, out reservation))
            {
                return false;
            }

            _holds[reservation!] = null;
            _amounts.Add(amountUsd);
            _inFlightAtLastHold = [.. _holds.Where(h => h.Value is null).Select(h => h.Key)];
            return true;
        }
    }

    public void Record(SpendRecord record, SpendReservation? reservation = null)
    {
        lock (_gate)
        {
            Inner.Record(record, reservation);
            if (reservation is not null)
            {
                _holds[reservation] = record.CostUsd;
            }
        }
    }

    public void Release(SpendReservation reservation)
    {
        lock (_gate)
        {
            Inner.Release(reservation);
            _holds[reservation] = 0m;
        }
    }

    public (decimal SpentUsd, decimal ReservedUsd) TenantToday(string tenant) => Inner.TenantToday(tenant);
}
