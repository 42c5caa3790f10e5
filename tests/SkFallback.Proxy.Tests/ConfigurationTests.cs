using System.Text.RegularExpressions;
using SkFallback.Proxy.Configuration;
using SkFallback.Proxy.Keys;

namespace SkFallback.Proxy.Tests;

/// <summary>Startup validation names every bad key; <c>keys create</c> prints a key once and only its hash for configuration.</summary>
public sealed partial class ConfigurationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_InvalidChainsAndKeys_FailsNamingEveryKey()
    {
        var config = new Dictionary<string, string?>
        {
            ["SkFallback:Chains:bad:Providers:0:Name"] = "openai",
            ["SkFallback:Chains:bad:Providers:0:Kind"] = "OpenAI",
            ["SkFallback:Chains:bad:Providers:0:Model"] = "gpt-4o-2024-08-06",
            ["SkFallback:Chains:bad:RetryBudget"] = "-1",
            ["SkFallback:Proxy:MaxRequestBytes"] = "10",
            ["SkFallback:Proxy:Keys:0:Id"] = "k",
            ["SkFallback:Proxy:Keys:0:Hash"] = "plain-text-key",
            ["SkFallback:Proxy:Redis:OutageShare"] = "1.5",
            ["SkFallback:Proxy:Redis:HoldTimeout"] = "00:00:00",
        };

        var exception = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            Configuration = config,
            ConsoleLogging = false,
        }, Ct));

        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Chains:bad:Providers:0:ApiKey", StringComparison.Ordinal));
        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Chains:bad:RetryBudget", StringComparison.Ordinal));
        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Proxy:MaxRequestBytes", StringComparison.Ordinal));
        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Proxy:Keys:0:Hash", StringComparison.Ordinal));
        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Proxy:Redis:OutageShare must be between 0 and 1", StringComparison.Ordinal));
        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Proxy:Redis:HoldTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_ChainsWithoutKeys_FailsAskingForAKey()
    {
        var exception = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            Configuration = new Dictionary<string, string?>
            {
                ["SkFallback:Chains:a:Providers:0:Name"] = "local",
                ["SkFallback:Chains:a:Providers:0:Kind"] = "OpenAICompatible",
                ["SkFallback:Chains:a:Providers:0:Model"] = "qwen2.5-7b-instruct",
                ["SkFallback:Chains:a:Providers:0:Endpoint"] = "http://127.0.0.1:9/v1",
            },
            ConsoleLogging = false,
        }, Ct));

        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Proxy:Keys must list at least one", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_Offline_ServesTheSimulatorWithADevelopmentKey()
    {
        await using var gateway = await GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0", "--SkFallback:Proxy:DevelopmentKey=sk-skf-dev-key-for-tests"],
            ConsoleLogging = false,
        }, Ct);

        Assert.NotNull(gateway.Simulator);
        Assert.Equal("sk-skf-dev-key-for-tests", gateway.DevelopmentKey);
        Assert.Equal(["default", "smart", "fast", "cheap"], gateway.Catalog.Models.Where(m => !m.Pinned).Select(m => m.Name));
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        using var ready = await http.GetAsync(new Uri("readyz", UriKind.Relative), Ct);
        Assert.Equal(200, (int)ready.StatusCode);
    }

    [Fact]
    public void KeysCreate_PrintsTheKeyOnceAndAnEntryWithOnlyItsHash()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = KeysCommand.Create(["--tenant", "acme", "--models", "fast,smart", "--rpm", "60", "--daily", "5"], output, error);

        Assert.Equal(0, code);
        var text = output.ToString();
        var key = KeyPattern().Match(text).Value;
        Assert.StartsWith(GatewayKeyHash.KeyPrefix, key, StringComparison.Ordinal);
        Assert.Single(KeyPattern().Matches(text));
        Assert.Contains($"\"Hash\": \"{GatewayKeyHash.Hash(key)}\"", text, StringComparison.Ordinal);
        Assert.Contains("\"Tenant\": \"acme\"", text, StringComparison.Ordinal);
        Assert.Contains("\"Models\": [ \"fast\", \"smart\" ]", text, StringComparison.Ordinal);
        Assert.Contains("\"RequestsPerMinute\": 60", text, StringComparison.Ordinal);
    }

    [Fact]
    public void KeysCreate_WithoutTenant_ExitsWithUsage()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(2, KeysCommand.Create([], output, error));
        Assert.Contains("--tenant", error.ToString(), StringComparison.Ordinal);
    }

    [GeneratedRegex("sk-skf-[A-Za-z0-9_-]{40,}")]
    private static partial Regex KeyPattern();
}
