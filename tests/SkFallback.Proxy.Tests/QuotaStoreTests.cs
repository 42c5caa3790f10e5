using SkFallback.Proxy.Quotas;
using SkFallback.Redis.Tests;
using StackExchange.Redis;

namespace SkFallback.Proxy.Tests;

/// <summary>The quota stores' holds, in process and in Redis: all accounts or none, settled once, expired when a replica never settles.</summary>
public sealed class QuotaStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Stores => ["local", "redis"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TryHold_TwoAccounts_HoldsOnBothOrNeither_AndSettlesOnce(string kind)
    {
        using var owner = await CreateAsync(kind);
        var store = owner.Store;
        var tight = new QuotaAccount($"key:tight:{Guid.NewGuid():N}", 100, TimeSpan.FromHours(1));
        var loose = new QuotaAccount($"key:loose:{Guid.NewGuid():N}", 1_000, TimeSpan.FromHours(1));

        Assert.True(store.TryHold([tight, loose], 60, Now, out var first));
        Assert.False(store.TryHold([tight, loose], 60, Now, out var refused));
        Assert.Null(refused);
        Assert.Equal((0L, 60L), Read(owner, loose));

        store.Settle(first!, 30);
        store.Settle(first!, 30);
        Assert.Equal((30L, 0L), Read(owner, tight));
        Assert.Equal((30L, 0L), Read(owner, loose));
        Assert.True(store.TryHold([tight, loose], 70, Now, out var second));
        store.Settle(second!, 0);
        Assert.Equal((30L, 0L), Read(owner, tight));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TryHold_SettledSpendAtTheLimit_RefusesEvenAZeroHold(string kind)
    {
        using var owner = await CreateAsync(kind);
        var store = owner.Store;
        var account = new QuotaAccount($"tenant:spent:{Guid.NewGuid():N}", 100, TimeSpan.FromHours(1));

        // An over-billed attempt settles past its hold: the account is spent to its limit.
        Assert.True(store.TryHold([account], 40, Now, out var hold));
        store.Settle(hold!, 100);
        Assert.True(store.TryHold([new QuotaAccount($"tenant:other:{Guid.NewGuid():N}", 100, TimeSpan.FromHours(1))], 0, Now, out _));

        Assert.False(store.TryHold([account], 0, Now, out var refused));
        Assert.Null(refused);
        Assert.Equal((100L, 0L), Read(owner, account));
    }

    [Fact]
    public async Task TryHold_HoldNeverSettled_ExpiresAfterTheHoldTimeout()
    {
        using var owner = await CreateAsync("redis");
        var account = new QuotaAccount($"key:expiry:{Guid.NewGuid():N}", 100, TimeSpan.FromHours(1));

        Assert.True(owner.Store.TryHold([account], 100, Now, out _));
        Assert.False(owner.Store.TryHold([account], 1, Now + TimeSpan.FromMinutes(9), out _));

        // The replica that held it died: past the hold timeout (10 minutes here) the next hold drops it.
        Assert.True(owner.Store.TryHold([account], 100, Now + TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1), out _));
    }

    private static (long Spent, long Held) Read(Owner owner, QuotaAccount account) => owner.Store.Read(account);

    private static async Task<Owner> CreateAsync(string kind)
    {
        if (kind == "local")
        {
            return new Owner(new LocalQuotaStore(), null);
        }

        var endpoint = RedisTestEnvironment.RequireEndpoint();
        var connection = await ConnectionMultiplexer.ConnectAsync(endpoint);
        return new Owner(new RedisQuotaStore(connection, $"skf-store-test:{Guid.NewGuid():N}:", TimeSpan.FromMinutes(10)), connection);
    }

    private sealed record Owner(IQuotaStore Store, IDisposable? Connection) : IDisposable
    {
        public void Dispose() => Connection?.Dispose();
    }
}
