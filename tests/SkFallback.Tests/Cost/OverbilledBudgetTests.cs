using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Cost;
using SkFallback.Tests.Fakes;
using static SkFallback.Tests.Characterization.Scripted;

namespace SkFallback.Tests.Cost;

/// <summary>
/// Tenant holds against providers that bill more output than the cap: the hold's allowance (request cap, else the
/// catalog's maximum output), the learned over-billing factor, and no admission once the settled spend reaches the limit.
/// </summary>
public sealed class OverbilledBudgetTests
{
    // gpt-4o-mini-2024-07-18 in the shipped catalog: 0.15 / 0.60 USD per million tokens, 16384 output tokens at most.
    private const decimal OutputPrice = 0.60m / 1_000_000m;
    private const int CatalogMaxOutput = 16384;

    private const string Question = "Name three rivers in Europe.";

    // Reported prompt tokens equal to the estimate, so the estimator's correction (and the prompt part of each hold) stays put.
    private static readonly long Prompt = new TokenEstimator().EstimatePromptTokens(Mini, [new ChatMessage(ChatRole.User, Question)]);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ChatOptions Tenant(int? maxOutputTokens = null)
    {
        var options = Keys((FallbackMetadataKeys.Tenant, "acme"));
        options.MaxOutputTokens = maxOutputTokens;
        return options;
    }

    private static FallbackChatClient Client(TestChatClient provider, HoldingLedger ledger, TimeProvider clock, decimal limit = 1m, Action<FallbackOptions>? configure = null, Microsoft.Extensions.Logging.ILoggerFactory? logs = null)
    {
        var options = new FallbackOptions { RetryBaseDelay = TimeSpan.Zero, MaxRetriesPerProvider = 0 };
        options.Add(new ProviderOptions { Name = provider.Name, Kind = ProviderKinds.Custom, Model = Mini, Client = provider, RequireFinishReason = true });
        options.Budget.TenantDailyLimits["acme"] = limit;
        configure?.Invoke(options);
        return new FallbackChatClient(options, loggerFactory: logs, timeProvider: clock, ledger: ledger);
    }

    [Fact]
    public async Task TenantHold_NoRequestCap_HoldsTheCatalogMaximumOutputNotTheProvidersConfiguredCap()
    {
        var clock = new FakeTimeProvider();
        var ledger = new HoldingLedger(clock);
        using var client = Client(Calls("a", Reply("Danube, Rhine, Seine.", clock, 10, input: Prompt, output: 6)), ledger, clock,
            configure: o => o.Providers[0].MaxOutputTokens = 50);

        await client.GetResponseAsync(Question, Tenant(), Ct);
        await client.GetResponseAsync(Question, Tenant(CatalogMaxOutput), Ct);
        await client.GetResponseAsync(Question, Tenant(50), Ct);

        // The configured cap is only a default some wires send (the OpenAI wire does not): a call without a cap holds the model's whole output.
        var holds = ledger.Amounts;
        Assert.Equal(holds[1], holds[0]);
        Assert.Equal((CatalogMaxOutput - 50) * OutputPrice, holds[0] - holds[2]);
    }

    [Fact]
    public async Task TenantHold_AfterAnswerBilledPastTheCap_CoversTheLearnedFactor()
    {
        var clock = new FakeTimeProvider();
        var ledger = new HoldingLedger(clock);
        var logs = new Caching.ListLoggerFactory();
        using var client = Client(Calls("a", Reply("Danube, Rhine, Seine.", clock, 10, input: Prompt, output: 300)), ledger, clock, logs: logs);

        await client.GetResponseAsync(Question, Tenant(100), Ct);
        await client.GetResponseAsync(Question, Tenant(100), Ct);
        await client.GetResponseAsync(Question, Tenant(40), Ct);

        // Billed 300 of an allowance of 100: later holds cover 3 × the allowance, whatever the cap.
        var holds = ledger.Amounts;
        Assert.Equal(200 * OutputPrice, holds[1] - holds[0]);
        Assert.Equal(180 * OutputPrice, holds[1] - holds[2]);
        var second = ledger.Inner.Recent[1];
        Assert.True(second.CostUsd <= holds[1], $"billed {second.CostUsd}, held {holds[1]}");

        // Logged once, when the factor rose; the third answer (300 of 40, 7.5×) is capped at the default 4.
        var warnings = logs.Lines.Where(l => l.Message.Contains("output tokens for an allowance", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Equal("Provider a (gpt-4o-mini-2024-07-18) billed 300 output tokens for an allowance of 100; tenant holds for it now cover 3 × the allowance", warnings[0].Message);
        Assert.EndsWith("allowance of 40; tenant holds for it now cover 4 × the allowance", warnings[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantHold_OverbillingStops_HoldFadesBackToThePlainAllowance()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero));
        var ledger = new HoldingLedger(clock);
        var provider = Calls("a", Reply("Danube.", clock, 10, input: Prompt, output: 300), Reply("Danube.", clock, 10, input: Prompt, output: 6));
        using var client = Client(provider, ledger, clock, configure: o => o.Budget.OverbillHalfLife = TimeSpan.FromHours(1));

        await client.GetResponseAsync(Question, Tenant(100), Ct);
        clock.Advance(TimeSpan.FromHours(1));
        await client.GetResponseAsync(Question, Tenant(100), Ct);
        clock.Advance(TimeSpan.FromHours(20));
        await client.GetResponseAsync(Question, Tenant(100), Ct);

        // 3× learned; one half-life later 2×; twenty more, about 1×.
        var holds = ledger.Amounts;
        Assert.Equal(100 * OutputPrice, holds[1] - holds[0]);
        Assert.InRange(holds[2] - holds[0], 0m, OutputPrice);
    }

    [Fact]
    public async Task TenantHold_LearningOff_TrustsTheCap()
    {
        var clock = new FakeTimeProvider();
        var ledger = new HoldingLedger(clock);
        using var client = Client(Calls("a", Reply("Danube.", clock, 10, input: Prompt, output: 300)), ledger, clock, configure: o => o.Budget.MaxOutputOverbill = 1);

        await client.GetResponseAsync(Question, Tenant(100), Ct);
        await client.GetResponseAsync(Question, Tenant(100), Ct);

        Assert.Equal(ledger.Amounts[0], ledger.Amounts[1]);
    }

    [Fact]
    public async Task TenantAdmission_SettledSpendPastTheLimit_RefusedBeforeDispatch()
    {
        var clock = new FakeTimeProvider();
        var ledger = new HoldingLedger(clock);
        var provider = Calls("a", Reply("Danube.", clock, 10, input: Prompt, output: 100_000));
        using var client = Client(provider, ledger, clock, limit: 0.001m);

        await client.GetResponseAsync(Question, Tenant(100), Ct);
        var error = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync(Question, Tenant(1), Ct));

        Assert.True(ledger.TenantToday("acme").SpentUsd > 0.001m);
        Assert.Equal((BudgetScope.Tenant, 0m, true), (error.Scope, error.RemainingUsd, error.BeforeDispatch));
        Assert.Equal(1, provider.Calls);
    }

    [Fact]
    public void SpendLedger_SettledSpendAtTheLimit_RefusesEvenAZeroHold()
    {
        var ledger = new SpendLedger(new FakeTimeProvider());
        Assert.True(ledger.TryReserve("acme", 1m, 0.4m, out var hold));
        ledger.Record(new SpendRecord(DateTimeOffset.UtcNow, "a", Mini, "acme", 10, 10, 1m, 0.4m, true, FailureKind.None), hold);

        Assert.False(ledger.TryReserve("acme", 1m, 0m, out var refused));
        Assert.Null(refused);
        Assert.True(ledger.TryReserve("acme", 2m, 0m, out _));
        Assert.Equal((1m, 0m), ledger.TenantToday("acme"));
    }
}
