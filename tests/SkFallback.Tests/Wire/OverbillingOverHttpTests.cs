using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Simulator;
using SkFallback.Tests.Fakes;
using SkFallback.Tests.RoutingPolicies;

namespace SkFallback.Tests.Wire;

/// <summary>
/// A tenant's daily limit against a simulator that bills more output tokens than the request's cap, over real HTTP with
/// the real SDKs on both wires: 100 calls of one tenant, and the worst-case overshoot documented on <see cref="BudgetOptions"/>.
/// </summary>
public class OverbillingOverHttpTests : IClassFixture<SimulatorFixture>
{
    // Prices per token; each call asks for at most 32 output tokens and the simulator's answer is 24 words.
    private const decimal InputPrice = 2.5m / 1_000_000m;
    private const decimal OutputPrice = 10m / 1_000_000m;
    private const int Cap = 32;

    private readonly SimulatorFixture _fixture;

    public OverbillingOverHttpTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<WireFormat, double> WiresAndBilling => new()
    {
        { WireFormat.OpenAI, 4.0 },
        { WireFormat.Anthropic, 4.0 },
        { WireFormat.OpenAI, 1.0 },
        { WireFormat.Anthropic, 1.0 },
    };

    /// <summary>
    /// 100 calls, 10 in flight at a time. Billing 4 × the 24 tokens sent (96, three times the cap of 32), each call costs
    /// about 2.7 × its first hold. The first ten are held at the cap; once the first of them settles, holds cover 3 × the
    /// cap, so the calls in flight when the limit binds are all covered and the settled spend stays within the limit.
    /// </summary>
    [Theory]
    [MemberData(nameof(WiresAndBilling))]
    public async Task TenantBudget_HundredCallsTenAtATime_SettledSpendWithinTheLimit(WireFormat wire, double billing)
    {
        var (client, ledger, model, limit) = Setup(wire, billing, "waves", callsWorth: 20);
        using var owned = client;
        using var gate = new SemaphoreSlim(10);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            await gate.WaitAsync(Ct);
            try
            {
                return await AskAsync(client, i);
            }
            finally
            {
                gate.Release();
            }
        }));

        var (spent, held) = ledger.TenantToday("acme");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{wire} billing ×{billing}: {outcomes.Count(o => o)} served, spent {spent:0.######} of {limit:0.######} USD ({spent / limit:0.00}×), bound {ledger.OvershootBound():0.######}");
        Assert.True(spent <= limit, $"spent {spent} of {limit}");
        Assert.True(spent <= limit + ledger.OvershootBound());
        Assert.Equal(0m, held);
        Assert.Equal(outcomes.Count(o => o), _fixture.Simulator.RequestsFor(model).Count);
        Assert.Contains(false, outcomes);
    }

    /// <summary>
    /// 100 calls at once: every hold is taken before any answer settles, so nothing is learned in time and the overshoot
    /// is the documented worst case, C × output price × cap × (billed ÷ cap − 1) for the C calls in flight. It stays within
    /// that bound, and once the settled spend passes the limit nothing more is admitted.
    /// </summary>
    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task TenantBudget_HundredCallsAtOnceOverbilled_OvershootWithinTheDocumentedBound(WireFormat wire)
    {
        var (client, ledger, model, limit) = Setup(wire, 4.0, "burst", callsWorth: 20);
        using var owned = client;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => AskAsync(client, i)));
        var late = await AskAsync(client, 100);

        var (spent, held) = ledger.TenantToday("acme");
        var inFlight = ledger.InFlightAtLastHold;
        var formula = inFlight * OutputPrice * Cap * ((24 * 4.0m / Cap) - 1);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{wire}: {outcomes.Count(o => o)} served, spent {spent:0.######} of {limit:0.######} USD ({spent / limit:0.00}×), in flight at the last hold {inFlight}, bound {ledger.OvershootBound():0.######}, formula {formula:0.######}");
        Assert.True(spent <= limit + ledger.OvershootBound(), $"spent {spent} of {limit} + {ledger.OvershootBound()}");
        Assert.True(spent - limit <= formula, $"overshoot {spent - limit}, formula {formula}");
        Assert.False(late);
        Assert.Equal(0m, held);
        Assert.Equal(outcomes.Count(o => o), _fixture.Simulator.RequestsFor(model).Count);
    }

    private (FallbackChatClient Client, HoldingLedger Ledger, string Model, decimal Limit) Setup(WireFormat wire, double billing, string role, int callsWorth)
    {
        var model = $"overbill-{role}-{billing:0}-{wire}-2024-01-01".ToLowerInvariant();
        var catalog = Prices.With($$"""
            "{{model}}": { "provider": "OpenAI", "inputPerMillion": 2.5, "outputPerMillion": 10, "contextWindow": 128000, "maxOutputTokens": 4096, "qualityTier": 4 }
            """);
        _fixture.Simulator.Model(model).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(50), 0, 0)).BillOutputTokens(billing);
        var options = new FallbackOptions();
        options.Add(_fixture.Provider("main", model, wire));

        // A limit of about callsWorth calls billed at 4 × 24 output tokens (the prompts are about 10 tokens).
        var limit = callsWorth * ((10 * InputPrice) + (96 * OutputPrice));
        options.Budget.TenantDailyLimits["acme"] = limit;
        var ledger = new HoldingLedger();
        return (new FallbackChatClient(options, priceCatalog: catalog, ledger: ledger), ledger, model, limit);
    }

    private static async Task<bool> AskAsync(FallbackChatClient client, int i)
    {
        var request = new ChatOptions { MaxOutputTokens = Cap, AdditionalProperties = new() { [FallbackMetadataKeys.Tenant] = "acme" } };
        try
        {
            await client.GetResponseAsync($"Question number {i}: where is the station?", request, Ct);
            return true;
        }
        catch (BudgetExceededException)
        {
            return false;
        }
    }
}
