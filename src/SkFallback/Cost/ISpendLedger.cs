namespace SkFallback.Cost;

/// <summary>
/// Records what calls actually cost (from the usage providers report) and holds tenants' daily budgets with
/// reserve-then-settle, so that concurrent calls cannot overspend a tenant together.
/// </summary>
public interface ISpendLedger
{
    /// <summary>Holds <paramref name="amountUsd"/> of <paramref name="tenant"/>'s budget for today, if that much is left.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="dailyLimitUsd">The tenant's daily limit.</param>
    /// <param name="amountUsd">The most the call can cost.</param>
    /// <param name="reservation">The hold, when taken.</param>
    /// <returns>Whether the hold was taken: spent &lt; limit and spent + held + <paramref name="amountUsd"/> ≤ limit (once the settled spend reaches the limit, nothing is admitted).</returns>
    bool TryReserve(string tenant, decimal dailyLimitUsd, decimal amountUsd, out SpendReservation? reservation);

    /// <summary>Records an attempt's cost; settles <paramref name="reservation"/> (releases the hold, charges the actual cost).</summary>
    /// <param name="record">What the attempt cost.</param>
    /// <param name="reservation">The hold taken for the attempt, if any.</param>
    void Record(SpendRecord record, SpendReservation? reservation = null);

    /// <summary>Releases a hold without charging it (the attempt was never sent).</summary>
    /// <param name="reservation">The hold.</param>
    void Release(SpendReservation reservation);

    /// <summary>What a tenant has spent today, and what is held for calls in flight.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <returns>The spend and the holds, in US dollars.</returns>
    (decimal SpentUsd, decimal ReservedUsd) TenantToday(string tenant);
}
