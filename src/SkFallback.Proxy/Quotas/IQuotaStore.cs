namespace SkFallback.Proxy.Quotas;

/// <summary>
/// Where the gateway keeps its keys' per-minute counts and its budget accounts: in process, or in Redis shared by every
/// replica. Budgets use reserve-then-settle: <see cref="TryHold"/> takes an attempt's upper-bound cost on every account
/// at once or on none (spent &lt; limit and spent + held + amount ≤ limit on each), <see cref="Settle"/> replaces the hold by the real cost.
/// </summary>
internal interface IQuotaStore
{
    /// <summary>Counts a request against a key's per-minute limits if they admit it.</summary>
    /// <param name="keyId">The key.</param>
    /// <param name="minute">The minute (Unix seconds / 60).</param>
    /// <param name="requestsPerMinute">The request limit, if any.</param>
    /// <param name="tokensPerMinute">The token limit, if any.</param>
    /// <returns>The decision and the counts.</returns>
    ValueTask<RateCount> AdmitAsync(string keyId, long minute, int? requestsPerMinute, long? tokensPerMinute);

    /// <summary>Adds the tokens a finished request used to its key's minute.</summary>
    /// <param name="keyId">The key.</param>
    /// <param name="minute">The minute.</param>
    /// <param name="tokens">The tokens.</param>
    void AddTokens(string keyId, long minute, long tokens);

    /// <summary>Holds <paramref name="amountNanos"/> on every account, or on none.</summary>
    /// <param name="accounts">The accounts.</param>
    /// <param name="amountNanos">The attempt's upper-bound cost.</param>
    /// <param name="now">The current time (holds expire after the hold timeout, should a replica die holding them).</param>
    /// <param name="hold">The hold, when taken.</param>
    /// <returns>Whether it was taken.</returns>
    bool TryHold(QuotaAccount[] accounts, long amountNanos, DateTimeOffset now, out QuotaHold? hold);

    /// <summary>Settles a hold: releases it and charges <paramref name="costNanos"/> (0 releases only).</summary>
    /// <param name="hold">The hold.</param>
    /// <param name="costNanos">The real cost.</param>
    void Settle(QuotaHold hold, long costNanos);

    /// <summary>Charges accounts without a hold.</summary>
    /// <param name="accounts">The accounts.</param>
    /// <param name="costNanos">The cost.</param>
    void Charge(QuotaAccount[] accounts, long costNanos);

    /// <summary>What an account has spent and holds, as last known to this replica.</summary>
    /// <param name="account">The account.</param>
    /// <returns>Spent and held, in nano-dollars.</returns>
    (long Spent, long Held) Read(QuotaAccount account);
}
