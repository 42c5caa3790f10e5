using Microsoft.Extensions.Time.Testing;
using static SkFallback.Tests.Characterization.Scripted;

namespace SkFallback.Tests.Characterization;

/// <summary>Pins budgets: the per-call limit skipping or refusing candidates, and tenants' daily limits held and settled in the ledger.</summary>
public class BudgetPathTests
{
    [Fact]
    public async Task GetResponse_MaxCostUsdBelowFirstEstimate_SkipsToACheaperProvider()
    {
        var clock = new FakeTimeProvider();
        var c = Calls("c", Reply("unused"));
        var a = Calls("a", Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        using var rig = Rig.Of(clock, (c, Gpt4o), (a, Mini));

        var response = await rig.Ask(Keys((FallbackMetadataKeys.MaxCostUsd, 0.001m)));

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.0000057 (decimal)
            skfallback.estimated_cost_usd = 0.00061635 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            attempts:
              c gpt-4o-2024-08-06 | BudgetExceeded | status=- | retry=0 | skipped | elapsed=0ms | estimated 0.010273 USD, 0.001 USD left
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=14 | output=6 | cost=0.0000057 | estimated=0.00061635 | reported=True | at=+30ms | settles=-
            c calls: 0
            """, Pin.Response(response, rig.Ledger) + $"\nc calls: {c.Calls}");
    }

    [Fact]
    public async Task GetResponse_MaxCostUsdBelowEveryEstimate_RefusedBeforeDispatch()
    {
        var clock = new FakeTimeProvider();
        var c = Calls("c", Reply("unused"));
        var a = Calls("a", Reply("unused"));
        using var rig = Rig.Of(clock, (c, Gpt4o), (a, Mini));

        var error = await Assert.ThrowsAsync<BudgetExceededException>(() => rig.Ask(Keys((FallbackMetadataKeys.MaxCostUsd, 0.0000001m))));

        Pin.Match("""
            threw: BudgetExceededException
            message: No provider can serve this request within its budget: the call may cost at most 0 USD. Nothing was sent.
            scope: Call | remaining=0.0000001 | before dispatch: True
            attempts:
              c gpt-4o-2024-08-06 | BudgetExceeded | status=- | retry=0 | skipped | elapsed=0ms | estimated 0.010273 USD
              a gpt-4o-mini-2024-07-18 | BudgetExceeded | status=- | retry=0 | skipped | elapsed=0ms | estimated 0.000616 USD
            ledger:
              (none)
            calls: 0
            """, Pin.Failure(error, rig.Ledger) + $"\ncalls: {c.Calls + a.Calls}");
    }

    [Fact]
    public async Task GetResponse_TenantDailyLimit_EachAttemptHeldThenReleasedOrSettled()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Throw(() => Status(503), clock, 10));
        var b = Calls("b", Reply("Danube, Rhine, Seine.", clock, 30, input: 14, output: 6));
        using var rig = Rig.Of(clock, o => { o.MaxRetriesPerProvider = 0; o.Budget.TenantDailyLimits["acme"] = 1m; }, (a, Mini), (b, Haiku));

        var response = await rig.Ask(Keys((FallbackMetadataKeys.Tenant, "acme")));

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.000044 (decimal)
            skfallback.estimated_cost_usd = 0.00513600 (decimal)
            skfallback.model = claude-haiku-4-5-20251001
            skfallback.provider = b
            attempts:
              a gpt-4o-mini-2024-07-18 | ServerError | status=503 | retry=0 | called | elapsed=10ms | HttpRequestException: Response status code does not indicate success: 503.
              b claude-haiku-4-5-20251001 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              reserve tenant=acme limit=1 amount=0.00983295 -> held
              release tenant=acme amount=0.00983295
              reserve tenant=acme limit=1 amount=0.32002000 -> held
              record b claude-haiku-4-5-20251001 | None | tenant=acme | prompt=14 | output=6 | cost=0.000044 | estimated=0.00513600 | reported=True | at=+40ms | settles=0.32002000
            tenant today: (0.000044, 0)
            """, Pin.Response(response, rig.Ledger) + $"\ntenant today: {rig.Ledger.TenantToday("acme")}");
    }

    [Fact]
    public async Task GetResponse_TenantDailyLimitTooSmall_RefusedBeforeDispatch()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Reply("unused"));
        using var rig = Rig.Of(clock, o => o.Budget.TenantDailyLimits["acme"] = 0.0000001m, (a, Mini), (Calls("b", Reply("unused")), Haiku));

        var error = await Assert.ThrowsAsync<BudgetExceededException>(() => rig.Ask(Keys((FallbackMetadataKeys.Tenant, "acme"))));

        Pin.Match("""
            threw: BudgetExceededException
            message: No provider can serve this request within its budget: tenant 'acme' has 0 USD left today. Nothing was sent.
            scope: Tenant | remaining=0.0000001 | before dispatch: True
            attempts:
              a gpt-4o-mini-2024-07-18 | BudgetExceeded | status=- | retry=0 | skipped | elapsed=0ms | estimated 0.009833 USD
              b claude-haiku-4-5-20251001 | BudgetExceeded | status=- | retry=0 | skipped | elapsed=0ms | estimated 0.32002 USD
            ledger:
              (none)
            a calls: 0
            """, Pin.Failure(error, rig.Ledger) + $"\na calls: {a.Calls}");
    }

    [Fact]
    public async Task GetResponse_AnswerWithoutUsageUnderABudget_ChargedTheEstimate()
    {
        var clock = new FakeTimeProvider();
        var a = Calls("a", Reply("Danube, Rhine, Seine.", clock, 30));
        using var rig = Rig.Of(clock, o => o.Budget.MaxCostPerCall = 1m, (a, Mini));

        var response = await rig.Ask();

        Pin.Match("""
            text: Danube, Rhine, Seine.
            finish: stop
            skfallback.cost_usd = 0.00000615 (decimal)
            skfallback.estimated_cost_usd = 0.00061635 (decimal)
            skfallback.model = gpt-4o-mini-2024-07-18
            skfallback.provider = a
            attempts:
              a gpt-4o-mini-2024-07-18 | None | status=- | retry=0 | called | elapsed=30ms | -
            ledger:
              record a gpt-4o-mini-2024-07-18 | None | tenant=- | prompt=13 | output=7 | cost=0.00000615 | estimated=0.00061635 | reported=False | at=+30ms | settles=-
            """, Pin.Response(response, rig.Ledger));
    }
}
