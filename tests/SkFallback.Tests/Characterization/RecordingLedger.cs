using System.Globalization;
using SkFallback.Cost;

namespace SkFallback.Tests.Characterization;

/// <summary>
/// A <see cref="SpendLedger"/> that also keeps, in order, every call the chain made on it: holds taken or refused,
/// holds released, and records with the hold they settle.
/// </summary>
internal sealed class RecordingLedger : ISpendLedger
{
    private readonly SpendLedger _inner;
    private readonly DateTimeOffset _origin;
    private readonly List<string> _events = [];
    private int _records;

    public RecordingLedger(TimeProvider time)
    {
        _origin = time.GetUtcNow();
        _inner = new SpendLedger(time);
    }

    public SpendLedger Inner => _inner;

    public int Records => Volatile.Read(ref _records);

    public bool TryReserve(string tenant, decimal dailyLimitUsd, decimal amountUsd, out SpendReservation? reservation)
    {
        var taken = _inner.TryReserve(tenant, dailyLimitUsd, amountUsd, out reservation);
        Add($"reserve tenant={tenant} limit={Pin.Number(dailyLimitUsd)} amount={Pin.Number(amountUsd)} -> {(taken ? "held" : "refused")}");
        return taken;
    }

    public void Release(SpendReservation reservation)
    {
        _inner.Release(reservation);
        Add($"release tenant={reservation.Tenant} amount={Pin.Number(reservation.AmountUsd)}");
    }

    public void Record(SpendRecord record, SpendReservation? reservation = null)
    {
        _inner.Record(record, reservation);
        var at = (record.At - _origin).TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture);
        Add($"record {record.Provider} {record.Model} | {record.Outcome} | tenant={record.Tenant ?? "-"} | prompt={record.PromptTokens} | output={record.OutputTokens}"
            + $" | cost={Pin.Number(record.CostUsd)} | estimated={Pin.Number(record.EstimatedCostUsd)} | reported={record.Reported} | at=+{at}ms"
            + $" | settles={(reservation is null ? "-" : Pin.Number(reservation.AmountUsd))}");
        Interlocked.Increment(ref _records);
    }

    public (decimal SpentUsd, decimal ReservedUsd) TenantToday(string tenant) => _inner.TenantToday(tenant);

    /// <summary>The calls made so far, one a line, in order.</summary>
    public string Render()
    {
        lock (_events)
        {
            return _events.Count == 0 ? "  (none)" : string.Join("\n", _events.Select(e => "  " + e));
        }
    }

    /// <summary>The calls made so far, one a line, sorted (for races, whose losers are charged concurrently with the winner).</summary>
    public string RenderSorted()
    {
        lock (_events)
        {
            return _events.Count == 0 ? "  (none)" : string.Join("\n", _events.Order(StringComparer.Ordinal).Select(e => "  " + e));
        }
    }

    private void Add(string line)
    {
        lock (_events)
        {
            _events.Add(line);
        }
    }
}
