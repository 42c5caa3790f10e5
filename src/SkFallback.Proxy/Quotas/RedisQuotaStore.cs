using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;

namespace SkFallback.Proxy.Quotas;

/// <summary>
/// Quotas in Redis, shared by every replica: per-minute counts per key and budget accounts, each check-and-change one
/// Lua script (<see cref="QuotaScripts"/>), so N replicas under any concurrency never hold or spend past a limit. Throws
/// <see cref="RedisConnectionException"/> or <see cref="RedisTimeoutException"/> when Redis is away; the
/// <see cref="SharedQuotaStore"/> above it decides what happens then.
/// </summary>
internal sealed class RedisQuotaStore : IQuotaStore
{
    private static readonly TimeSpan MinuteLifetime = TimeSpan.FromSeconds(120);

    private readonly IConnectionMultiplexer _connection;
    private readonly string _prefix;
    private readonly TimeSpan _holdTimeout;
    private readonly ConcurrentDictionary<string, (long Spent, long Held)> _seen = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="RedisQuotaStore"/> class.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="prefix">The prefix of every Redis key.</param>
    /// <param name="holdTimeout">How long a hold lives if its replica never settles it.</param>
    public RedisQuotaStore(IConnectionMultiplexer connection, string prefix, TimeSpan holdTimeout)
    {
        _connection = connection;
        _prefix = prefix;
        _holdTimeout = holdTimeout;
    }

    /// <summary>Gets a value indicating whether the connection is up.</summary>
    public bool IsConnected => _connection.IsConnected;

    private IDatabase Database => _connection.GetDatabase();

    /// <inheritdoc />
    public async ValueTask<RateCount> AdmitAsync(string keyId, long minute, int? requestsPerMinute, long? tokensPerMinute)
    {
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(QuotaScripts.Admit, [MinuteKey(keyId, minute)],
            [requestsPerMinute ?? -1, tokensPerMinute ?? -1, (long)MinuteLifetime.TotalSeconds]).ConfigureAwait(false))!;
        var admitted = (long)result[0] == 1;
        var limit = (long)result[1] switch { 1 => "requests", 2 => "tokens", _ => null };
        return new RateCount(admitted, limit, (long)result[2], (long)result[3]);
    }

    /// <inheritdoc />
    public void AddTokens(string keyId, long minute, long tokens)
    {
        var key = MinuteKey(keyId, minute);
        var batch = Database.CreateBatch();
        _ = batch.HashIncrementAsync(key, "t", tokens, CommandFlags.FireAndForget);
        _ = batch.KeyExpireAsync(key, MinuteLifetime, CommandFlags.FireAndForget);
        batch.Execute();
    }

    /// <inheritdoc />
    public bool TryHold(QuotaAccount[] accounts, long amountNanos, DateTimeOffset now, out QuotaHold? hold)
    {
        var id = Guid.NewGuid().ToString("N");
        var keys = Keys(accounts);
        var values = new RedisValue[4 + (2 * accounts.Length)];
        values[0] = now.ToUnixTimeMilliseconds();
        values[1] = (now + _holdTimeout).ToUnixTimeMilliseconds();
        values[2] = id;
        values[3] = amountNanos.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < accounts.Length; i++)
        {
            values[4 + (2 * i)] = accounts[i].LimitNanos.ToString(CultureInfo.InvariantCulture);
            values[5 + (2 * i)] = Lifetime(accounts[i]);
        }

        var result = (RedisResult[])Wait(Database.ScriptEvaluateAsync(QuotaScripts.Hold, keys, values))!;
        for (var i = 0; i < accounts.Length; i++)
        {
            _seen[accounts[i].Name] = ((long)result[2 + (2 * i)], (long)result[3 + (2 * i)]);
        }

        hold = (long)result[0] == 1 ? new QuotaHold(id, accounts, amountNanos, local: false) : null;
        return hold is not null;
    }

    /// <inheritdoc />
    public void Settle(QuotaHold hold, long costNanos)
    {
        if (hold.TrySettle())
        {
            Run(hold.Accounts, hold.Id, costNanos);
        }
    }

    /// <inheritdoc />
    public void Charge(QuotaAccount[] accounts, long costNanos) => Run(accounts, "-", costNanos);

    /// <summary>Adds spend kept while Redis was away to its accounts.</summary>
    /// <param name="account">The account name.</param>
    /// <param name="spentNanos">The spend.</param>
    /// <param name="lifetime">The account's lifetime.</param>
    public void Reconcile(string account, long spentNanos, TimeSpan lifetime) =>
        Run([new QuotaAccount(account, 0, lifetime)], "-", spentNanos);

    /// <inheritdoc />
    public (long Spent, long Held) Read(QuotaAccount account) => _seen.TryGetValue(account.Name, out var seen) ? seen : (0, 0);

    /// <summary>Reads an account from Redis itself (tests and operators).</summary>
    /// <param name="account">The account name.</param>
    /// <returns>Spent and held, in nano-dollars.</returns>
    public async Task<(long Spent, long Held)> ReadSharedAsync(string account)
    {
        var values = await Database.HashGetAsync(_prefix + "q:" + account, ["spent", "held"]).ConfigureAwait(false);
        return (values[0].IsNull ? 0 : (long)values[0], values[1].IsNull ? 0 : (long)values[1]);
    }

    /// <summary>
    /// Waits for a reply the engine needs synchronously (<see cref="Cost.ISpendLedger"/> holds and settles are not
    /// async). The wait is a task wait, which the thread pool sees as blocking and compensates with more threads; the
    /// client's own synchronous calls would block in a way the pool cannot see, and 200 of them at once starve the pool
    /// that delivers their replies.
    /// </summary>
    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static long Lifetime(QuotaAccount account) => Math.Max(1, (long)account.Lifetime.TotalSeconds);

    private void Run(QuotaAccount[] accounts, string id, long costNanos)
    {
        var values = new RedisValue[2 + accounts.Length];
        values[0] = id;
        values[1] = costNanos.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < accounts.Length; i++)
        {
            values[2 + i] = Lifetime(accounts[i]);
        }

        var result = (RedisResult[])Wait(Database.ScriptEvaluateAsync(QuotaScripts.Settle, Keys(accounts), values))!;
        for (var i = 0; i < accounts.Length; i++)
        {
            _seen[accounts[i].Name] = ((long)result[2 * i], (long)result[(2 * i) + 1]);
        }
    }

    private RedisKey[] Keys(QuotaAccount[] accounts)
    {
        var keys = new RedisKey[2 * accounts.Length];
        for (var i = 0; i < accounts.Length; i++)
        {
            keys[2 * i] = _prefix + "q:" + accounts[i].Name;
            keys[(2 * i) + 1] = _prefix + "qx:" + accounts[i].Name;
        }

        return keys;
    }

    private RedisKey MinuteKey(string keyId, long minute) => _prefix + "r:" + keyId + ":" + minute.ToString(CultureInfo.InvariantCulture);
}
