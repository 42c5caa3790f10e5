using SkFallback.Diagnostics;

namespace SkFallback.Cost;

/// <summary>
/// The in-process spend ledger: totals per provider, model and tenant, the most recent records, and tenants' daily
/// budgets held with reserve-then-settle under one lock per tenant. Every record is also exported as the OpenTelemetry
/// metric <c>skfallback.cost</c> (the tokens reported are <c>gen_ai.client.token.usage</c>, recorded per attempt by the chain).
/// </summary>
public sealed class SpendLedger : ISpendLedger
{
    /// <summary>How many of the most recent records <see cref="Recent"/> keeps.</summary>
    public const int RecentCapacity = 1024;

    private readonly TimeProvider _timeProvider;
    private readonly Lock _totalsGate = new();
    private readonly Dictionary<string, SpendTotals> _byProvider = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SpendTotals> _byModel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SpendTotals> _byTenant = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<SpendRecord> _recent = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TenantAccount> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private SpendTotals _total;

    /// <summary>Initializes a new instance of the <see cref="SpendLedger"/> class.</summary>
    /// <param name="timeProvider">The clock that decides the UTC day of tenant budgets; <see cref="TimeProvider.System"/> by default.</param>
    public SpendLedger(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the totals of everything recorded.</summary>
    public SpendTotals Total
    {
        get
        {
            lock (_totalsGate)
            {
                return _total;
            }
        }
    }

    /// <summary>Gets the totals per provider name.</summary>
    public IReadOnlyDictionary<string, SpendTotals> ByProvider => Copy(_byProvider);

    /// <summary>Gets the totals per model id.</summary>
    public IReadOnlyDictionary<string, SpendTotals> ByModel => Copy(_byModel);

    /// <summary>Gets the totals per tenant (calls without a tenant are not listed).</summary>
    public IReadOnlyDictionary<string, SpendTotals> ByTenant => Copy(_byTenant);

    /// <summary>Gets the most recent records, oldest first (at most <see cref="RecentCapacity"/>).</summary>
    public IReadOnlyList<SpendRecord> Recent
    {
        get
        {
            lock (_totalsGate)
            {
                return [.. _recent];
            }
        }
    }

    /// <inheritdoc />
    public bool TryReserve(string tenant, decimal dailyLimitUsd, decimal amountUsd, out SpendReservation? reservation)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentOutOfRangeException.ThrowIfNegative(amountUsd);
        var account = _accounts.GetOrAdd(tenant, static _ => new TenantAccount());
        var today = Today();
        lock (account.Gate)
        {
            account.RollTo(today);
            // Settled spend at the limit admits nothing more, not even a hold of 0 (a free model).
            if (account.Spent >= dailyLimitUsd || account.Spent + account.Reserved + amountUsd > dailyLimitUsd)
            {
                reservation = null;
                return false;
            }

            account.Reserved += amountUsd;
        }

        reservation = new SpendReservation(tenant, today, amountUsd);
        return true;
    }

    /// <inheritdoc />
    public void Release(SpendReservation reservation)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        Settle(reservation, 0m, charge: false);
    }

    /// <inheritdoc />
    public void Record(SpendRecord record, SpendReservation? reservation = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (reservation is not null)
        {
            Settle(reservation, record.CostUsd, charge: true);
        }
        else if (record.Tenant is { } tenant)
        {
            var account = _accounts.GetOrAdd(tenant, static _ => new TenantAccount());
            lock (account.Gate)
            {
                account.RollTo(Today());
                account.Spent += record.CostUsd;
            }
        }

        lock (_totalsGate)
        {
            _total = _total.Add(record);
            Add(_byProvider, record.Provider, record);
            Add(_byModel, record.Model, record);
            if (record.Tenant is { } tenant)
            {
                Add(_byTenant, tenant, record);
            }

            if (_recent.Count == RecentCapacity)
            {
                _recent.Dequeue();
            }

            _recent.Enqueue(record);
        }

        FallbackTelemetry.RecordSpend(record);
    }

    /// <inheritdoc />
    public (decimal SpentUsd, decimal ReservedUsd) TenantToday(string tenant)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        if (!_accounts.TryGetValue(tenant, out var account))
        {
            return (0m, 0m);
        }

        lock (account.Gate)
        {
            account.RollTo(Today());
            return (account.Spent, account.Reserved);
        }
    }

    private void Settle(SpendReservation reservation, decimal actual, bool charge)
    {
        var account = _accounts.GetOrAdd(reservation.Tenant, static _ => new TenantAccount());
        lock (account.Gate)
        {
            account.RollTo(Today());

            // A hold from an earlier day was dropped with that day's totals.
            if (account.Day == reservation.Day)
            {
                account.Reserved = Math.Max(0m, account.Reserved - reservation.AmountUsd);
            }

            if (charge)
            {
                account.Spent += actual;
            }
        }
    }

    private DateOnly Today() => DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime);

    private static void Add(Dictionary<string, SpendTotals> totals, string key, SpendRecord record)
    {
        totals.TryGetValue(key, out var current);
        totals[key] = current.Add(record);
    }

    private Dictionary<string, SpendTotals> Copy(Dictionary<string, SpendTotals> source)
    {
        lock (_totalsGate)
        {
            return new Dictionary<string, SpendTotals>(source, source.Comparer);
        }
    }

    private sealed class TenantAccount
    {
        public Lock Gate { get; } = new();

        public DateOnly Day { get; private set; }

        public decimal Spent { get; set; }

        public decimal Reserved { get; set; }

        public void RollTo(DateOnly today)
        {
            if (Day != today)
            {
                Day = today;
                Spent = 0m;
                Reserved = 0m;
            }
        }
    }
}
