using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkFallback.Tests.Caching;

namespace SkFallback.Tests;

/// <summary>
/// Configuration as users write it in appsettings.json: a value that does not convert, or a key that names no
/// setting, fails at startup naming the key (the binder alone drops the provider entry or ignores the key).
/// </summary>
public class ConfigurationBindingTests
{
    private const string Primary = """{ "Name": "primary", "Kind": "OpenAI", "Model": "gpt-4o-2024-08-06", "ApiKey": "k1" }""";

    private static ServiceProvider FromJson(string json, ILoggerFactory? logs = null)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        if (logs is not null)
        {
            services.AddSingleton(logs);
        }

        services.AddFallbackChatClient(configuration.GetSection("SkFallback"));
        return services.BuildServiceProvider();
    }

    [Theory]
    [InlineData("\"MaxRetries\": \"two\"", "SkFallback:Providers:1:MaxRetries 'two' does not convert to an integer")]
    [InlineData("\"AttemptTimeout\": \"soon\"", "SkFallback:Providers:1:AttemptTimeout 'soon' does not convert to a TimeSpan")]
    [InlineData("\"ContextWindow\": \"big\"", "SkFallback:Providers:1:ContextWindow 'big' does not convert to an integer")]
    [InlineData("\"RequireFinishReason\": \"maybe\"", "SkFallback:Providers:1:RequireFinishReason 'maybe' does not convert to a Boolean")]
    public void AddFallbackChatClient_SecondProviderValueDoesNotConvert_FailsNamingKeyAndValue(string setting, string expected)
    {
        using var services = FromJson($$"""
            { "SkFallback": { "Providers": [
                {{Primary}},
                { "Name": "backup", "Kind": "OpenAICompatible", "Model": "qwen2.5-72b", "Endpoint": "http://127.0.0.1:9/v1", {{setting}} } ] } }
            """);

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFallbackChatClient_OnlyProviderValueDoesNotConvert_NamesThatKeyNotAnEmptyList()
    {
        using var services = FromJson("""
            { "SkFallback": { "Providers": [
                { "Name": "primary", "Kind": "OpenAI", "Model": "gpt-4o-2024-08-06", "ApiKey": "k1", "MaxRetries": "two" } ] } }
            """);

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains("SkFallback:Providers:0:MaxRetries 'two'", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("at least one provider", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"RetryBudget\": \"lots\"", "SkFallback:RetryBudget 'lots' does not convert to an integer")]
    [InlineData("\"FallbackOn\": [ \"ServerError\", \"Teapot\" ]", "SkFallback:FallbackOn:1 'Teapot' does not convert to FailureKind (one of None, RateLimited")]
    [InlineData("\"Streaming\": { \"CommitDelay\": \"later\" }", "SkFallback:Streaming:CommitDelay 'later' does not convert to a TimeSpan")]
    [InlineData("\"Budget\": { \"TenantDailyLimits\": { \"acme\": \"ten\" } }", "SkFallback:Budget:TenantDailyLimits:acme 'ten' does not convert to a number")]
    public void AddFallbackChatClient_ChainValueDoesNotConvert_FailsNamingKeyAndValue(string setting, string expected)
    {
        using var services = FromJson($$"""{ "SkFallback": { {{setting}}, "Providers": [ {{Primary}} ] } }""");

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"RetryBudgte\": 3", "SkFallback:RetryBudgte is not a setting of FallbackOptions (did you mean RetryBudget?)")]
    [InlineData("\"CircuitBreaker\": { \"FailureTreshold\": 3 }", "SkFallback:CircuitBreaker:FailureTreshold is not a setting of CircuitBreakerOptions (did you mean FailureThreshold?)")]
    [InlineData("\"Colour\": \"blue\"", "SkFallback:Colour is not a setting of FallbackOptions.")]
    public void AddFallbackChatClient_UnknownKey_FailsWithDidYouMean(string setting, string expected)
    {
        using var services = FromJson($$"""{ "SkFallback": { {{setting}}, "Providers": [ {{Primary}} ] } }""");

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFallbackChatClient_UnknownProviderKey_FailsWithDidYouMean()
    {
        using var services = FromJson("""
            { "SkFallback": { "Providers": [
                { "Name": "primary", "Kind": "OpenAI", "Model": "gpt-4o-2024-08-06", "ApiKey": "k1", "MaxRetires": 2 } ] } }
            """);

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains("SkFallback:Providers:0:MaxRetires is not a setting of ProviderOptions (did you mean MaxRetries?)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFallbackChatClient_UnknownKeyWithWarnOnUnknownKeys_StartsAndWarns()
    {
        var logs = new ListLoggerFactory();
        using var services = FromJson($$"""{ "SkFallback": { "WarnOnUnknownKeys": true, "RetryBudgte": 3, "Providers": [ {{Primary}} ] } }""", logs);

        var client = services.GetRequiredService<IChatClient>();

        Assert.Equal(["primary"], client.GetService<FallbackChatClient>()!.ProviderNames);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("SkFallback:RetryBudgte is not a setting of FallbackOptions (did you mean RetryBudget?)", StringComparison.Ordinal));
    }

    [Fact]
    public void AddFallbackChatClient_EverySettingSpelledRight_BindsAsBefore()
    {
        using var services = FromJson("""
            { "SkFallback": {
                "RetryBudget": 4, "AttemptTimeout": "00:00:20", "FallbackOn": [ "ServerError", "RateLimited" ],
                "CircuitBreaker": { "FailureThreshold": 5 }, "Streaming": { "CommitChunks": 3 },
                "Budget": { "TenantDailyLimits": { "acme": 2.5 } },
                "Prices": { }, "Cache": { "Enabled": true },
                "Providers": [
                  { "Name": "primary", "Kind": "OpenAI", "Model": "gpt-4o-2024-08-06", "ApiKey": "k1", "MaxRetries": 2, "ContextWindow": 128000 },
                  { "Name": "backup", "Kind": "OpenAICompatible", "Model": "qwen2.5-72b", "Endpoint": "http://127.0.0.1:9/v1", "AttemptTimeout": "00:00:05" }
                ] } }
            """);

        var options = services.GetRequiredService<IOptions<FallbackOptions>>().Value;

        Assert.Equal(4, options.RetryBudget);
        Assert.Equal(2, options.Providers.Count);
        Assert.Equal(2, options.Providers[0].MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Providers[1].AttemptTimeout);
        Assert.Equal(2.5m, options.Budget.TenantDailyLimits["acme"]);
    }
}
