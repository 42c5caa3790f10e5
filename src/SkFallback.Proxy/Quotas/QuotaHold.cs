namespace SkFallback.Proxy.Quotas;

/// <summary>An amount held on one or more accounts for an attempt in flight, settled to its real cost (or released) once.</summary>
internal sealed class QuotaHold
{
    private int _settled;

    /// <summary>Initializes a new instance of the <see cref="QuotaHold"/> class.</summary>
    /// <param name="id">A unique id.</param>
    /// <param name="accounts">The accounts held.</param>
    /// <param name="amountNanos">The amount held on each.</param>
    /// <param name="local">Whether the hold was taken in process (Redis not configured, or away).</param>
    public QuotaHold(string id, QuotaAccount[] accounts, long amountNanos, bool local)
    {
        Id = id;
        Accounts = accounts;
        AmountNanos = amountNanos;
        Local = local;
    }

    /// <summary>Gets the hold's id.</summary>
    public string Id { get; }

    /// <summary>Gets the accounts held.</summary>
    public QuotaAccount[] Accounts { get; }

    /// <summary>Gets the amount held on each account.</summary>
    public long AmountNanos { get; }

    /// <summary>Gets a value indicating whether the hold lives in process rather than in Redis.</summary>
    public bool Local { get; }

    /// <summary>Marks the hold settled; only the first caller gets <see langword="true"/>.</summary>
    /// <returns>Whether this call settles it.</returns>
    public bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;
}
