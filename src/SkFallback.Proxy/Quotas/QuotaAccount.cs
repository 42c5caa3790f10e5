namespace SkFallback.Proxy.Quotas;

/// <summary>
/// One budget the gateway holds spend against: a tenant's day, a key's day or a key's month. Amounts are whole
/// nano-dollars (10⁻⁹ USD), exact in Redis's Lua numbers up to about 9 million dollars.
/// </summary>
/// <param name="Name">The account's name, unique per period (<c>tenant:acme:d:20261203</c>).</param>
/// <param name="LimitNanos">The budget, in nano-dollars.</param>
/// <param name="Lifetime">How long the account is kept after its last use (a little over its period).</param>
internal readonly record struct QuotaAccount(string Name, long LimitNanos, TimeSpan Lifetime)
{
    /// <summary>Gets a value indicating whether this is a key's month (<c>key:{id}:m:{yyyyMM}</c>, as <see cref="GatewayLedger.AccountsOf"/> names it) rather than a day.</summary>
    public bool IsMonthly => Name.Contains(":m:", StringComparison.Ordinal);

    /// <summary>Nano-dollars per US dollar.</summary>
    public const decimal NanosPerUsd = 1_000_000_000m;

    /// <summary>Converts US dollars to nano-dollars, rounding up (a hold never covers less than asked).</summary>
    /// <param name="usd">The amount.</param>
    /// <returns>The nano-dollars.</returns>
    public static long ToNanos(decimal usd) => usd <= 0 ? 0 : (long)Math.Min(long.MaxValue / 4, Math.Ceiling(usd * NanosPerUsd));

    /// <summary>Converts nano-dollars to US dollars.</summary>
    /// <param name="nanos">The amount.</param>
    /// <returns>The US dollars.</returns>
    public static decimal ToUsd(long nanos) => nanos / NanosPerUsd;
}
