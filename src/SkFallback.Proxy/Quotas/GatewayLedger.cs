using System.Globalization;
using System.Runtime.CompilerServices;
using SkFallback.Cost;
using SkFallback.Proxy.Keys;

namespace SkFallback.Proxy.Quotas;

/// <summary>
/// The spend ledger every chain of the gateway records to. Totals stay in an in-process <see cref="SpendLedger"/>; the
/// holds the engine takes before each attempt (its upper-bound cost) go to the <see cref="IQuotaStore"/> on every
/// account the call is subject to at once (the tenant's day when the chain limits it, the key's day and month when the
/// key has budgets), and each attempt's record settles its hold to the real cost; an attempt never sent releases it.
/// With Redis as the store, every replica holds against the same accounts, so together they never spend past a budget.
/// </summary>
internal sealed class GatewayLedger : ISpendLedger
{
    /// <summary>
    /// The tenant daily limit the gateway gives chains that have none when keys have budgets, so the engine holds each
    /// attempt's cost (the key's budgets are then the ones that bind); it stands for "no tenant limit".
    /// </summary>
    public const decimal NoTenantLimit = 1_000_000_000_000m;

    private static readonly TimeSpan DayLifetime = TimeSpan.FromDays(2);
    private static readonly TimeSpan MonthLifetime = TimeSpan.FromDays(33);

    private readonly IQuotaStore _store;
    private readonly TimeProvider _time;
    private readonly ConditionalWeakTable<SpendReservation, QuotaHold> _holds = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, decimal> _lastLimits = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Initializes a new instance of the <see cref="GatewayLedger"/> class.</summary>
    /// <param name="store">Where holds and spend of budgets are kept.</param>
    /// <param name="time">The clock that decides the day and month of an account.</param>
    public GatewayLedger(IQuotaStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
        Totals = new SpendLedger(time);
    }

    /// <summary>Gets the in-process totals (this replica's records).</summary>
    public SpendLedger Totals { get; }

    /// <summary>Gets the store.</summary>
    public IQuotaStore Store => _store;

    /// <summary>The accounts of a tenant's day and a key's day and month at <paramref name="now"/>.</summary>
    /// <param name="tenant">The tenant, when its limit is a real one.</param>
    /// <param name="tenantLimitUsd">The tenant's daily limit.</param>
    /// <param name="key">The key, when it has budgets.</param>
    /// <param name="now">The time.</param>
    /// <returns>The accounts (possibly none).</returns>
    public static QuotaAccount[] AccountsOf(string? tenant, decimal? tenantLimitUsd, GatewayKey? key, DateTimeOffset now)
    {
        var day = now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var count = (tenant is not null && tenantLimitUsd is < NoTenantLimit ? 1 : 0)
            + (key?.Options.DailyBudgetUsd is not null ? 1 : 0) + (key?.Options.MonthlyBudgetUsd is not null ? 1 : 0);
        if (count == 0)
        {
            return [];
        }

        var accounts = new QuotaAccount[count];
        var i = 0;
        if (tenant is not null && tenantLimitUsd is decimal limit && limit < NoTenantLimit)
        {
            accounts[i++] = new QuotaAccount($"tenant:{tenant.ToLowerInvariant()}:d:{day}", QuotaAccount.ToNanos(limit), DayLifetime);
        }

        if (key?.Options.DailyBudgetUsd is decimal daily)
        {
            accounts[i++] = new QuotaAccount($"key:{key.Id}:d:{day}", (long)Math.Floor(daily * QuotaAccount.NanosPerUsd), DayLifetime);
        }

        if (key?.Options.MonthlyBudgetUsd is decimal monthly)
        {
            accounts[i] = new QuotaAccount($"key:{key.Id}:m:{now.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture)}", (long)Math.Floor(monthly * QuotaAccount.NanosPerUsd), MonthLifetime);
        }

        return accounts;
    }

    /// <inheritdoc />
    public bool TryReserve(string tenant, decimal dailyLimitUsd, decimal amountUsd, out SpendReservation? reservation)
    {
        var now = _time.GetUtcNow();
        if (dailyLimitUsd < NoTenantLimit && _lastLimits.Count < 10_000)
        {
            _lastLimits[tenant] = dailyLimitUsd;
        }

        var accounts = AccountsOf(tenant, dailyLimitUsd, QuotaContext.Current, now);
        reservation = new SpendReservation(tenant, DateOnly.FromDateTime(now.UtcDateTime), amountUsd);
        if (accounts.Length == 0)
        {
            return true;
        }

        if (!_store.TryHold(accounts, QuotaAccount.ToNanos(amountUsd), now, out var hold))
        {
            reservation = null;
            return false;
        }

        _holds.Add(reservation, hold!);
        return true;
    }

    /// <inheritdoc />
    public void Record(SpendRecord record, SpendReservation? reservation = null)
    {
        Totals.Record(record);
        var cost = QuotaAccount.ToNanos(record.CostUsd);
        if (reservation is not null && _holds.TryGetValue(reservation, out var hold))
        {
            _holds.Remove(reservation);
            _store.Settle(hold, cost);
        }
        else if (reservation is null && cost > 0 && QuotaContext.Current is { } key)
        {
            // A call the engine did not hold for (its chain has no tenant limit): still charge the key.
            var accounts = AccountsOf(null, null, key, _time.GetUtcNow());
            if (accounts.Length > 0)
            {
                _store.Charge(accounts, cost);
            }
        }
    }

    /// <inheritdoc />
    public void Release(SpendReservation reservation)
    {
        if (_holds.TryGetValue(reservation, out var hold))
        {
            _holds.Remove(reservation);
            _store.Settle(hold, 0);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// What the engine sees of a tenant's day before it plans: the least left on any account of the current call, as
    /// spent against <see cref="NoTenantLimit"/> when only the key's budgets apply (so "left" in its messages is right).
    /// </remarks>
    public (decimal SpentUsd, decimal ReservedUsd) TenantToday(string tenant)
    {
        var now = _time.GetUtcNow();
        var key = QuotaContext.Current;
        var tenantAccounts = AccountsOf(tenant, _lastLimits.TryGetValue(tenant, out var limit) ? limit : null, null, now);
        long? left = null;
        foreach (var account in tenantAccounts.Concat(AccountsOf(null, null, key, now)))
        {
            var (spent, held) = _store.Read(account);
            var remaining = Math.Max(0, account.LimitNanos - spent - held);
            left = left is null ? remaining : Math.Min(left.Value, remaining);
        }

        if (left is null)
        {
            return (0m, 0m);
        }

        var ceiling = tenantAccounts.Length > 0 ? limit : NoTenantLimit;
        return (ceiling - QuotaAccount.ToUsd(left.Value), 0m);
    }
}
