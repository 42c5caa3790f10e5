using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SkFallback.Proxy.Keys;
using SkFallback.Proxy.Quotas;
using SkFallback.Redis.Tests;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>
/// Budgets and rate limits held with reserve-then-settle: in process for one gateway, and in one real Redis shared by
/// two gateways under 200 concurrent requests; Redis killed mid-run (local outage share, one log line, reconciliation).
/// </summary>
public sealed class SharedQuotaTests : IAsyncLifetime
{
    private const string Key = "sk-skf-shared-quota-key-012345";
    private const string Model = "gpt-4o-mini-2024-07-18";

    private readonly List<GatewayServer> _gateways = [];
    private ProviderSimulator? _simulator;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProviderSimulator Simulator => _simulator!;

    public async ValueTask InitializeAsync() => _simulator = await ProviderSimulator.StartAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }

    [Fact]
    public async Task TwoGatewaysSharingRedis_200ConcurrentCallsOfOneTenant_NeverSpendPastTheTenantBudget()
    {
        var redis = RedisTestEnvironment.RequireEndpoint();
        var cost = await OneCallCostAsync();
        var budget = cost * 50;
        var prefix = $"skf-test:{Guid.NewGuid():N}:";
        var a = await StartAsync(Config(tenantBudget: budget, redis: redis, prefix: prefix));
        var b = await StartAsync(Config(tenantBudget: budget, redis: redis, prefix: prefix));

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => PostAsync(i % 2 == 0 ? a : b)));

        var served = results.Count(r => r.Status == 200);
        Assert.All(results.Where(r => r.Status != 200), r => Assert.Equal((429, "insufficient_quota"), (r.Status, r.Code)));
        Assert.False(((SharedQuotaStore)a.Quotas).Away || ((SharedQuotaStore)b.Quotas).Away, "Redis stayed in use");
        var ledgerTotal = Spent(a) + Spent(b);
        Assert.True(ledgerTotal <= budget, $"ledger {ledgerTotal} > budget {budget}");
        var shared = await ((SharedQuotaStore)a.Quotas).Redis.ReadSharedAsync($"tenant:acme:d:{DateTime.UtcNow:yyyyMMdd}");
        Assert.True(shared.Spent <= QuotaAccount.ToNanos(budget), $"Redis spent {shared.Spent} > budget");
        Assert.Equal(0, shared.Held);
        Assert.InRange(QuotaAccount.ToUsd(shared.Spent), ledgerTotal, ledgerTotal + 0.000001m);

        // Each call holds its upper bound (a little over its real cost), so about 50 fit; none past the budget.
        Assert.InRange(served, 40, 50);
        Assert.Equal(served, Simulator.Requests.Count);
        Assert.Equal(served, Attempts(a) + Attempts(b));
    }

    /// <summary>
    /// An upstream billing 4 × the tokens it sent (96 for a cap of 24): the first ten calls are held at the cap, and once
    /// the first settles the chain's holds cover 4 × the cap, so the calls in flight when the budget binds are covered.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OneGateway_OverbillingUpstream_100CallsTenAtATime_NeverSpendPastTheTenantBudget(bool redis)
    {
        var endpoint = redis ? RedisTestEnvironment.RequireEndpoint() : null;
        var honest = await OneCallCostAsync();
        var budget = honest * 80;
        var prefix = $"skf-overbill:{Guid.NewGuid():N}:";
        Simulator.Model(Model).BillOutputTokens(4);
        var gateway = await StartAsync(Config(tenantBudget: budget, redis: endpoint, prefix: redis ? prefix : null));
        using var gate = new SemaphoreSlim(10);

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
        {
            await gate.WaitAsync(Ct);
            try
            {
                return await PostAsync(gateway);
            }
            finally
            {
                gate.Release();
            }
        }));

        var served = results.Count(r => r.Status == 200);
        Assert.All(results.Where(r => r.Status != 200), r => Assert.Equal((429, "insufficient_quota"), (r.Status, r.Code)));
        Assert.True(Spent(gateway) <= budget, $"ledger {Spent(gateway)} > budget {budget}");
        var account = $"tenant:acme:d:{DateTime.UtcNow:yyyyMMdd}";
        var (spent, held) = redis
            ? await ((SharedQuotaStore)gateway.Quotas).Redis.ReadSharedAsync(account)
            : gateway.Quotas.Read(new QuotaAccount(account, 0, TimeSpan.Zero));
        Assert.True(spent <= QuotaAccount.ToNanos(budget), $"store spent {spent} > budget");
        Assert.Equal(0, held);
        Assert.InRange(served, 10, 21);
        Assert.Equal(served, Simulator.Requests.Count);
    }

    [Fact]
    public async Task OneGatewayInProcess_100ConcurrentCalls_NeverSpendPastTheKeyBudget()
    {
        var cost = await OneCallCostAsync();
        var budget = cost * 20;
        var gateway = await StartAsync(Config(keyDailyBudget: budget));

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => PostAsync(gateway)));

        var served = results.Count(r => r.Status == 200);
        Assert.All(results.Where(r => r.Status != 200), r => Assert.Equal((429, "insufficient_quota"), (r.Status, r.Code)));
        Assert.True(gateway.Ledger.ByTenant["acme"].CostUsd <= budget);
        Assert.InRange(served, 15, 20);
        var (spent, held) = gateway.Quotas.Read(new QuotaAccount($"key:shared:d:{DateTime.UtcNow:yyyyMMdd}", 0, TimeSpan.Zero));
        Assert.True(spent <= QuotaAccount.ToNanos(budget), $"spent {spent} > budget");
        Assert.Equal(0, held);
    }

    [Fact]
    public async Task RedisKilledMidRun_ServesOnTheOutageShareLogsOnce_ThenReconcilesWhenBack()
    {
        var binary = RedisTestEnvironment.RequireRedisServerBinary();
        using var server = new RedisServerProcess(binary);
        await server.StartAsync();
        var cost = await OneCallCostAsync();
        var log = new CollectingLogger();
        var gateway = await StartAsync(Config(keyDailyBudget: cost * 20, redis: server.Endpoint, prefix: "skf-kill:", outageShare: 0.25), log);
        var store = (SharedQuotaStore)gateway.Quotas;
        var account = $"key:shared:d:{DateTime.UtcNow:yyyyMMdd}";

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await PostAsync(gateway)).Status);
        }

        var before = await store.Redis.ReadSharedAsync(account);
        Assert.True(before.Spent > 0);
        await server.KillAsync();

        // Away: served on this replica's share (a quarter of the key's day, about 5 calls), then refused; one log line.
        var outage = new List<(int Status, string? Code, decimal? Cost)>();
        for (var i = 0; i < 10; i++)
        {
            outage.Add(await PostAsync(gateway));
        }

        Assert.True(store.Away);
        var servedAway = outage.Count(r => r.Status == 200);
        Assert.InRange(servedAway, 3, 5);
        Assert.Equal((429, "insufficient_quota"), (outage[^1].Status, outage[^1].Code));
        var spentAway = gateway.Ledger.ByTenant["acme"].CostUsd - (QuotaAccount.ToUsd(before.Spent));
        Assert.Single(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("gateway quotas are held locally", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Lines, l => l.Message.Contains(server.Endpoint, StringComparison.Ordinal));

        // Back (an empty Redis, as after a restart without persistence): the local spend is added to the shared account.
        await server.StartAsync();
        await Eventually.AssertAsync(() => store.Redis.IsConnected, "the gateway reconnects to Redis", TimeSpan.FromSeconds(30));
        Assert.Equal(200, (await PostAsync(gateway)).Status);
        Assert.False(store.Away);
        var after = await store.Redis.ReadSharedAsync(account);
        var lastCall = gateway.Ledger.Recent[^1].CostUsd;
        Assert.InRange(QuotaAccount.ToUsd(after.Spent), spentAway + lastCall - 0.000001m, spentAway + lastCall + 0.000001m);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Information && l.Message.Contains("local spend added to the shared quotas", StringComparison.Ordinal));
    }

    private static decimal Spent(GatewayServer gateway) => gateway.Ledger.ByTenant.TryGetValue("acme", out var totals) ? totals.CostUsd : 0m;

    private static long Attempts(GatewayServer gateway) => gateway.Ledger.ByTenant.TryGetValue("acme", out var totals) ? totals.Attempts : 0;

    private Dictionary<string, string?> Config(decimal? tenantBudget = null, decimal? keyDailyBudget = null, string? redis = null, string? prefix = null, double? outageShare = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["SkFallback:Chains:fast:MaxRetriesPerProvider"] = "0",
            ["SkFallback:Chains:fast:CircuitBreaker:Enabled"] = "false",
            ["SkFallback:Chains:fast:Providers:0:Name"] = "mini",
            ["SkFallback:Chains:fast:Providers:0:Kind"] = "OpenAI",
            ["SkFallback:Chains:fast:Providers:0:Model"] = Model,
            ["SkFallback:Chains:fast:Providers:0:ApiKey"] = "sk-upstream-secret-0000",
            ["SkFallback:Chains:fast:Providers:0:Endpoint"] = Simulator.OpenAIEndpoint.ToString(),
            ["SkFallback:Proxy:Keys:0:Id"] = "shared",
            ["SkFallback:Proxy:Keys:0:Hash"] = GatewayKeyHash.Hash(Key),
            ["SkFallback:Proxy:Keys:0:Tenant"] = "acme",
        };
        if (tenantBudget is decimal tenant)
        {
            config["SkFallback:Chains:fast:Budget:TenantDailyLimits:acme"] = tenant.ToString(CultureInfo.InvariantCulture);
        }

        if (keyDailyBudget is decimal daily)
        {
            config["SkFallback:Proxy:Keys:0:DailyBudgetUsd"] = daily.ToString(CultureInfo.InvariantCulture);
        }

        if (redis is not null)
        {
            config["SkFallback:Proxy:Redis:Configuration"] = redis;
            config["SkFallback:Proxy:Redis:KeyPrefix"] = prefix;
        }

        if (outageShare is double share)
        {
            config["SkFallback:Proxy:Redis:OutageShare"] = share.ToString(CultureInfo.InvariantCulture);
        }

        return config;
    }

    private async Task<GatewayServer> StartAsync(Dictionary<string, string?> config, ILoggerProvider? logger = null)
    {
        var gateway = await GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            Configuration = config,
            ConsoleLogging = false,
            ConfigureBuilder = logger is null ? null : builder => builder.Logging.AddProvider(logger),
        }, Ct);
        _gateways.Add(gateway);
        return gateway;
    }

    /// <summary>What one call costs, measured through a gateway without budgets (the simulator's answer is fixed).</summary>
    private async Task<decimal> OneCallCostAsync()
    {
        await using var probe = await GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            Configuration = Config(),
            ConsoleLogging = false,
        }, Ct);
        var result = await PostAsync(probe);
        Assert.Equal(200, result.Status);
        Simulator.Reset();
        return result.Cost!.Value;
    }

    private static async Task<(int Status, string? Code, decimal? Cost)> PostAsync(GatewayServer gateway)
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"fast","max_tokens":24,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        if (response.IsSuccessStatusCode)
        {
            return (200, null, decimal.Parse(response.Headers.GetValues("x-skfallback-cost-usd").Single(), CultureInfo.InvariantCulture));
        }

        return ((int)response.StatusCode, JsonNode.Parse(body)!["error"]!["code"]?.GetValue<string>(), null);
    }
}
