namespace SkFallback.Proxy.Quotas;

/// <summary>
/// The in-process quota store: per-minute counts per key and budget accounts under one lock, so concurrent requests of
/// one replica cannot overspend together. Also the store a replica falls back on while Redis is away, then with each
/// limit cut to <c>share</c> of itself and the spend kept for reconciliation.
/// </summary>
internal sealed class LocalQuotaStore : IQuotaStore
{
    private const int MaxAccounts = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Account> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Minute> _minutes = new(StringComparer.Ordinal);
    private readonly double _share;
    private long _holds;

    /// <summary>Initializes a new instance of the <see cref="LocalQuotaStore"/> class.</summary>
    /// <param name="share">The part of each budget this store may hold and spend (1 when it is the only store).</param>
    public LocalQuotaStore(double share = 1)
    {
        _share = share;
    }

    /// <summary>Gets a value indicating whether any account has spend not yet handed over by <see cref="TakeSpent"/>.</summary>
    public bool HasSpent { get; private set; }

    /// <inheritdoc />
    public ValueTask<RateCount> AdmitAsync(string keyId, long minute, int? requestsPerMinute, long? tokensPerMinute)
    {
        lock (_gate)
        {
            var counts = MinuteOf(keyId, minute);
            if (requestsPerMinute is int rpm && counts.Requests >= rpm)
            {
                return new(new RateCount(false, "requests", counts.Requests, counts.Tokens));
            }

            if (tokensPerMinute is long tpm && counts.Tokens >= tpm)
            {
                return new(new RateCount(false, "tokens", counts.Requests, counts.Tokens));
            }

            counts.Requests++;
            return new(new RateCount(true, null, counts.Requests, counts.Tokens));
        }
    }

    /// <inheritdoc />
    public void AddTokens(string keyId, long minute, long tokens)
    {
        lock (_gate)
        {
            MinuteOf(keyId, minute).Tokens += tokens;
        }
    }

    /// <inheritdoc />
    public bool TryHold(QuotaAccount[] accounts, long amountNanos, DateTimeOffset now, out QuotaHold? hold)
    {
        lock (_gate)
        {
            foreach (var account in accounts)
            {
                var state = AccountOf(account.Name, account.Lifetime);
                // Settled spend at the limit admits nothing more, not even a hold of 0.
                var cap = Cap(account);
                if (state.Spent >= cap || state.Spent + state.Held + amountNanos > cap)
                {
                    hold = null;
                    return false;
                }
            }

            foreach (var account in accounts)
            {
                AccountOf(account.Name, account.Lifetime).Held += amountNanos;
            }

            hold = new QuotaHold("local-" + (++_holds).ToString(System.Globalization.CultureInfo.InvariantCulture), accounts, amountNanos, local: true);
            return true;
        }
    }

    /// <inheritdoc />
    public void Settle(QuotaHold hold, long costNanos)
    {
        if (!hold.TrySettle())
        {
            return;
        }

        lock (_gate)
        {
            foreach (var account in hold.Accounts)
            {
                var state = AccountOf(account.Name, account.Lifetime);
                state.Held = Math.Max(0, state.Held - hold.AmountNanos);
                state.Spent += costNanos;
            }

            HasSpent |= costNanos > 0;
        }
    }

    /// <inheritdoc />
    public void Charge(QuotaAccount[] accounts, long costNanos)
    {
        lock (_gate)
        {
            foreach (var account in accounts)
            {
                AccountOf(account.Name, account.Lifetime).Spent += costNanos;
            }

            HasSpent |= costNanos > 0;
        }
    }

    /// <inheritdoc />
    public (long Spent, long Held) Read(QuotaAccount account)
    {
        lock (_gate)
        {
            return _accounts.TryGetValue(account.Name, out var state) ? (state.Spent, state.Held) : (0, 0);
        }
    }

    /// <summary>Hands over every account's spend (for reconciliation with Redis) and zeroes it; holds stay.</summary>
    /// <returns>The account names and their spend.</returns>
    public List<(string Account, long SpentNanos, TimeSpan Lifetime)> TakeSpent()
    {
        lock (_gate)
        {
            var spent = new List<(string, long, TimeSpan)>();
            foreach (var (name, state) in _accounts)
            {
                if (state.Spent > 0)
                {
                    spent.Add((name, state.Spent, state.Lifetime));
                    state.Spent = 0;
                }
            }

            HasSpent = false;
            return spent;
        }
    }

    /// <summary>Gives spend back after a reconciliation failed, so the next one carries it.</summary>
    /// <param name="spent">What <see cref="TakeSpent"/> returned.</param>
    public void Restore(List<(string Account, long SpentNanos, TimeSpan Lifetime)> spent)
    {
        lock (_gate)
        {
            foreach (var (name, nanos, lifetime) in spent)
            {
                AccountOf(name, lifetime).Spent += nanos;
            }

            HasSpent |= spent.Count > 0;
        }
    }

    private long Cap(QuotaAccount account) => _share >= 1 ? account.LimitNanos : (long)Math.Floor(account.LimitNanos * _share);

    private Account AccountOf(string name, TimeSpan lifetime)
    {
        if (!_accounts.TryGetValue(name, out var state))
        {
            if (_accounts.Count >= MaxAccounts)
            {
                // Accounts are per day and month: old periods are idle; drop those with nothing held or pending.
                foreach (var (old, s) in _accounts)
                {
                    if (s.Held == 0 && s.Spent == 0)
                    {
                        _accounts.Remove(old);
                    }
                }
            }

            state = new Account { Lifetime = lifetime };
            _accounts[name] = state;
        }

        return state;
    }

    private Minute MinuteOf(string keyId, long minute)
    {
        if (!_minutes.TryGetValue(keyId, out var counts))
        {
            counts = new Minute();
            _minutes[keyId] = counts;
        }

        if (counts.Of != minute)
        {
            counts.Of = minute;
            counts.Requests = 0;
            counts.Tokens = 0;
        }

        return counts;
    }

    private sealed class Account
    {
        public long Spent { get; set; }

        public long Held { get; set; }

        public TimeSpan Lifetime { get; init; }
    }

    private sealed class Minute
    {
        public long Of { get; set; } = long.MinValue;

        public long Requests { get; set; }

        public long Tokens { get; set; }
    }
}
