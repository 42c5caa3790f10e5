using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SkFallback.Cost;
using SkFallback.Routing;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.RoutingPolicies;

/// <summary>Routing and budget configuration: bound from configuration, and every bad value failing at startup naming its key.</summary>
public class CostConfigurationTests
{
    private static IReadOnlyList<string> Failures(Action<FallbackOptions> configure)
    {
        var options = Chain.Options(new TestChatClient("big"), new TestChatClient("small"));
        configure(options);
        var result = new FallbackOptionsValidator().Validate(null, options);
        return result.Failed ? [.. result.Failures] : [];
    }

    [Theory]
    [InlineData("fastest", "SkFallback:Routing:Policy 'fastest' is not a routing policy")]
    [InlineData("", "SkFallback:Routing:Policy '' is not a routing policy")]
    public void UnknownPolicy_FailsNamingKey(string policy, string expected) =>
        Assert.Contains(Failures(o => o.Routing.Policy = policy), f => f.StartsWith(expected, StringComparison.Ordinal));

    [Fact]
    public void KnownPolicies_AreValid()
    {
        foreach (var name in new[] { "ordered", "Cheapest", "CONDITIONAL" })
        {
            Assert.Empty(Failures(o => o.Routing.Policy = name));
        }
    }

    [Fact]
    public void CustomPolicyName_ValidOnlyWhenRegistered()
    {
        var options = Chain.Options(new TestChatClient("big"));
        options.Routing.Policy = "mine";

        Assert.True(new FallbackOptionsValidator().Validate(null, options).Failed);
        Assert.False(new FallbackOptionsValidator(FallbackOptions.SectionName, ["mine"]).Validate(null, options).Failed);
    }

    [Fact]
    public void RuleNamingUnknownProvider_AndEmptyChain_FailNamingKeys()
    {
        var failures = Failures(o =>
        {
            var bad = new RoutingRule { UserTier = "free" };
            bad.Chain.Add("small");
            bad.Chain.Add("tiny");
            o.Routing.Rules.Add(bad);
            o.Routing.Rules.Add(new RoutingRule { Region = "eu" });
            o.Routing.DefaultChain = ["huge"];
        });

        Assert.Contains(failures, f => f.StartsWith("SkFallback:Routing:Rules:0:Chain:1 names 'tiny'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("SkFallback:Routing:Rules:1:Chain must name at least one provider", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("SkFallback:Routing:DefaultChain:0 names 'huge'", StringComparison.Ordinal));
    }

    [Fact]
    public void BadBounds_AndBudgets_FailNamingKeys()
    {
        var failures = Failures(o =>
        {
            o.Routing.MinQualityTier = 6;
            o.Routing.MaxLatency = TimeSpan.Zero;
            o.Budget.MaxCostPerCall = -1m;
            o.Budget.MaxCostPerTurn = 0m;
            o.Budget.DefaultTenantDailyLimit = -0.5m;
            o.Budget.TenantDailyLimits["acme"] = -2m;
            o.Budget.ReserveMargin = 0.5;
            o.Budget.MaxOutputOverbill = 0.9;
            o.Budget.OverbillHalfLife = TimeSpan.FromSeconds(5);
        });

        foreach (var key in new[]
        {
            "SkFallback:Routing:MinQualityTier", "SkFallback:Routing:MaxLatency", "SkFallback:Budget:MaxCostPerCall",
            "SkFallback:Budget:MaxCostPerTurn", "SkFallback:Budget:DefaultTenantDailyLimit", "SkFallback:Budget:TenantDailyLimits:acme",
            "SkFallback:Budget:ReserveMargin", "SkFallback:Budget:MaxOutputOverbill", "SkFallback:Budget:OverbillHalfLife",
        })
        {
            Assert.Contains(failures, f => f.StartsWith(key, StringComparison.Ordinal));
        }
    }

    private static ServiceProvider Services(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IChatClient>("big", new TestChatClient("big"));
        services.AddKeyedSingleton<IChatClient>("small", new TestChatClient("small"));
        services.AddSingleton(Prices.Catalog);
        services.AddFallbackChatClient(configuration.GetSection("SkFallback"));
        return services.BuildServiceProvider();
    }

    private static Dictionary<string, string?> Chain2(params (string Key, string? Value)[] extra)
    {
        var values = new Dictionary<string, string?>
        {
            ["SkFallback:Providers:0:Name"] = "big",
            ["SkFallback:Providers:0:Kind"] = "Custom",
            ["SkFallback:Providers:0:Model"] = Prices.Big,
            ["SkFallback:Providers:0:ServiceKey"] = "big",
            ["SkFallback:Providers:1:Name"] = "small",
            ["SkFallback:Providers:1:Kind"] = "Custom",
            ["SkFallback:Providers:1:Model"] = Prices.Small,
            ["SkFallback:Providers:1:ServiceKey"] = "small",
        };
        foreach (var (key, value) in extra)
        {
            values[key] = value;
        }

        return values;
    }

    [Fact]
    public async Task Configuration_BindsPolicyRulesAndBudgets()
    {
        using var services = Services(Chain2(
            ("SkFallback:Routing:Policy", "conditional"),
            ("SkFallback:Routing:Rules:0:UserTier", "free"),
            ("SkFallback:Routing:Rules:0:Chain:0", "small"),
            ("SkFallback:Budget:TenantDailyLimits:acme", "2.5"),
            ("SkFallback:Budget:MaxCostPerCall", "0.5")));
        var options = services.GetRequiredService<IOptions<FallbackOptions>>().Value;
        var client = services.GetRequiredService<IChatClient>();

        var free = await client.GetResponseAsync("hi", new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.UserTier] = "free" } }, TestContext.Current.CancellationToken);

        Assert.Equal(2.5m, options.Budget.TenantDailyLimits["acme"]);
        Assert.Equal(0.5m, options.Budget.MaxCostPerCall);
        Assert.Equal("answer from small", free.Text);
        Assert.NotNull(services.GetService<ISpendLedger>());
    }

    [Fact]
    public void Configuration_UnknownPolicy_FailsAtStartNamingKey()
    {
        using var services = Services(Chain2(("SkFallback:Routing:Policy", "fastest")));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(ex.Failures, f => f.StartsWith("SkFallback:Routing:Policy 'fastest'", StringComparison.Ordinal));
    }

    [Fact]
    public void Configuration_CustomPolicyRegisteredInServices_IsAccepted()
    {
        var values = Chain2(("SkFallback:Routing:Policy", "mine"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IChatClient>("big", new TestChatClient("big"));
        services.AddKeyedSingleton<IChatClient>("small", new TestChatClient("small"));
        services.AddSingleton<IRoutingPolicy, MinePolicy>();
        services.AddFallbackChatClient(configuration.GetSection("SkFallback"));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
        var client = provider.GetRequiredService<IChatClient>().GetService<FallbackChatClient>()!;

        Assert.Equal("mine", client.RoutingPolicy.Name);
    }

    [Theory]
    [InlineData("SkFallback:Prices:gpt-4o-2024-08-06:InputPerMillion", "-1", "SkFallback:Prices:gpt-4o-2024-08-06:InputPerMillion")]
    [InlineData("SkFallback:Prices:my-model-2025-01-01:InputPerMillion", "1", "SkFallback:Prices:my-model-2025-01-01:OutputPerMillion")]
    [InlineData("SkFallback:Prices:gpt-4o-latest:InputPerMillion", "1", "SkFallback:Prices:gpt-4o-latest")]
    public void Configuration_BadPriceOverride_FailsAtStartNamingKey(string key, string value, string expectedKey)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Chain2((key, value))).Build();
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IChatClient>("big", new TestChatClient("big"));
        services.AddKeyedSingleton<IChatClient>("small", new TestChatClient("small"));
        services.AddFallbackChatClient(configuration.GetSection("SkFallback"));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(ex.Failures, f => f.Contains(expectedKey, StringComparison.Ordinal));
    }

    [Fact]
    public void Configuration_PriceOverride_IsUsedByTheChain()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Chain2(
            ("SkFallback:Prices:big-2024-01-01:Provider", "OpenAI"),
            ("SkFallback:Prices:big-2024-01-01:InputPerMillion", "7"),
            ("SkFallback:Prices:big-2024-01-01:OutputPerMillion", "21"),
            ("SkFallback:Prices:big-2024-01-01:ContextWindow", "64000"),
            ("SkFallback:Prices:big-2024-01-01:MaxOutputTokens", "2048"),
            ("SkFallback:Prices:big-2024-01-01:QualityTier", "4"))).Build();
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IChatClient>("big", new TestChatClient("big"));
        services.AddKeyedSingleton<IChatClient>("small", new TestChatClient("small"));
        services.AddFallbackChatClient(configuration.GetSection("SkFallback"));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
        var client = provider.GetRequiredService<IChatClient>().GetService<FallbackChatClient>()!;

        Assert.Equal(7m, client.Candidates[0].Price!.InputPerMillion);
        Assert.Equal(64000, client.Candidates[0].ContextWindow);
    }

    private sealed class MinePolicy : IRoutingPolicy
    {
        public string Name => "mine";

        public IReadOnlyList<int> Route(RoutingRequest request, IReadOnlyList<RoutingCandidate> candidates) => [1, 0];
    }
}
