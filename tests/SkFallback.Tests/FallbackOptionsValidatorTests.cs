using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests;

public class FallbackOptionsValidatorTests
{
    private static FallbackOptions Valid() => new FallbackOptions()
        .Add(new ProviderOptions { Name = "openai", Kind = ProviderKinds.OpenAI, Model = "gpt-4o-2024-08-06", ApiKey = "k" })
        .Add(new ProviderOptions { Name = "local", Kind = ProviderKinds.OpenAICompatible, Model = "llama-3.1-8b", Endpoint = new Uri("http://127.0.0.1:8000/v1") });

    public static TheoryData<string, string> Broken() => new()
    {
        { "none", "SkFallback:Providers must list at least one provider" },
        { "duplicate", "SkFallback:Providers:1:Name 'openai' duplicates" },
        { "unknown-kind", "SkFallback:Providers:1:Kind 'Cohere' is not a known provider kind" },
        { "negative-budget", "SkFallback:RetryBudget must be between 0 and 100 (was -1)" },
        { "negative-timeout", "SkFallback:AttemptTimeout must be between" },
        { "zero-first-token", "SkFallback:FirstTokenTimeout must be between" },
        { "negative-deadline", "SkFallback:Deadline must be between" },
        { "missing-key", "SkFallback:Providers:0:ApiKey is required for kind 'OpenAI'" },
        { "missing-endpoint", "SkFallback:Providers:1:Endpoint is required for kind 'OpenAICompatible'" },
        { "missing-model", "SkFallback:Providers:0:Model is required" },
        { "alias", "SkFallback:Providers:0:Model 'gpt-4o-latest' is a moving alias" },
        { "custom-without-client", "SkFallback:Providers:1: kind 'Custom' needs a Client" },
        { "provider-retries", "SkFallback:Providers:0:MaxRetries must be between 0 and 10 (was 11)" },
        { "fallback-on-cancel", "SkFallback:FallbackOn must not contain Cancelled" },
    };

    private static FallbackOptions Break(string how)
    {
        var options = Valid();
        switch (how)
        {
            case "none": options.Providers.Clear(); break;
            case "duplicate": options.Providers[1].Name = "OpenAI"; options.Providers[1].Name = "openai"; break;
            case "unknown-kind": options.Providers[1].Kind = "Cohere"; break;
            case "negative-budget": options.RetryBudget = -1; break;
            case "negative-timeout": options.AttemptTimeout = TimeSpan.FromSeconds(-5); break;
            case "zero-first-token": options.FirstTokenTimeout = TimeSpan.Zero; break;
            case "negative-deadline": options.Deadline = TimeSpan.FromSeconds(-1); break;
            case "missing-key": options.Providers[0].ApiKey = null; break;
            case "missing-endpoint": options.Providers[1].Endpoint = null; break;
            case "missing-model": options.Providers[0].Model = " "; break;
            case "alias": options.Providers[0].Model = "gpt-4o-latest"; break;
            case "custom-without-client": options.Providers[1].Kind = ProviderKinds.Custom; break;
            case "provider-retries": options.Providers[0].MaxRetries = 11; break;
            case "fallback-on-cancel": options.FallbackOn = [FailureKind.Cancelled]; break;
            default: throw new ArgumentOutOfRangeException(nameof(how));
        }

        return options;
    }

    [Theory]
    [MemberData(nameof(Broken))]
    public void Constructor_InvalidOptions_ThrowsNamingTheKey(string how, string expected)
    {
        var exception = Assert.Throws<OptionsValidationException>(() => new FallbackChatClient(Break(how)));

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ValidOptions_Builds()
    {
        using var client = new FallbackChatClient(Valid());

        Assert.Equal(["openai", "local"], client.ProviderNames);
    }

    [Fact]
    public void Constructor_AliasAllowed_Builds()
    {
        var options = Valid();
        options.Providers[0].Model = "gpt-4o-latest";
        options.AllowModelAliases = true;

        using var client = new FallbackChatClient(options);

        Assert.Equal(2, client.ProviderNames.Count);
    }

    [Fact]
    public void Constructor_SeveralProblems_ListsThemAll()
    {
        var options = Break("missing-key");
        options.RetryBudget = 500;

        var exception = Assert.Throws<OptionsValidationException>(() => new FallbackChatClient(options));

        Assert.Equal(2, exception.Failures.Count());
    }

    private static ServiceProvider FromJson(string json)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddFallbackChatClient(configuration.GetSection("SkFallback"));
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddFallbackChatClient_FromConfiguration_BindsProvidersAndSettings()
    {
        using var services = FromJson("""
            { "SkFallback": {
                "RetryBudget": 4,
                "AttemptTimeout": "00:00:20",
                "FallbackOn": [ "ServerError", "RateLimited" ],
                "Providers": [
                  { "Name": "primary", "Kind": "OpenAI", "Model": "gpt-4o-2024-08-06", "ApiKey": "k1" },
                  { "Name": "backup", "Kind": "OpenAICompatible", "Model": "qwen2.5-72b", "Endpoint": "http://127.0.0.1:9/v1" }
                ] } }
            """);

        var options = services.GetRequiredService<IOptions<FallbackOptions>>().Value;
        var client = services.GetRequiredService<IChatClient>();

        Assert.Equal(4, options.RetryBudget);
        Assert.Equal(TimeSpan.FromSeconds(20), options.AttemptTimeout);
        Assert.Equal([FailureKind.ServerError, FailureKind.RateLimited], options.FallbackOn!);
        Assert.Equal(new Uri("http://127.0.0.1:9/v1"), options.Providers[1].Endpoint);
        Assert.Equal(["primary", "backup"], client.GetService<FallbackChatClient>()!.ProviderNames);
    }

    [Fact]
    public void AddFallbackChatClient_EndpointWithKeyInQuery_ErrorQuotesItRedacted()
    {
        using var services = FromJson("""
            { "SkFallback": { "Providers": [
                { "Name": "gemini", "Kind": "Gemini", "Model": "gemini-2.5-flash", "ApiKey": "k",
                  "Endpoint": "generativelanguage.googleapis.com/v1beta/openai?key=AIzaSyD-1234567890abcdefghij" } ] } }
            """);

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains("Endpoint 'generativelanguage.googleapis.com/v1beta/openai?key=***' must be an absolute http(s) URL", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AIzaSyD", exception.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "SkFallback": { "Providers": [] } }""", "SkFallback:Providers must list at least one provider")]
    [InlineData("""{ "SkFallback": { "Providers": [ { "Name": "a", "Kind": "OpenAI", "Model": "gpt-4o-2024-08-06" } ] } }""", "SkFallback:Providers:0:ApiKey is required")]
    [InlineData("""{ "SkFallback": { "RetryBudget": -2, "Providers": [ { "Name": "a", "Kind": "OpenAI", "Model": "gpt-4o-2024-08-06", "ApiKey": "k" } ] } }""", "SkFallback:RetryBudget must be between 0 and 100 (was -2)")]
    [InlineData("""{ "SkFallback": { "Providers": [ { "Name": "a", "Kind": "Nope", "Model": "m", "ApiKey": "k" } ] } }""", "SkFallback:Providers:0:Kind 'Nope'")]
    public void AddFallbackChatClient_InvalidConfiguration_FailsOnResolveNamingTheKey(string json, string expected)
    {
        using var services = FromJson(json);

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFallbackChatClient_CustomProviderByServiceKey_ResolvesKeyedClient()
    {
        var services = new ServiceCollection();
        var keyed = new TestChatClient("mine");
        services.AddKeyedSingleton<IChatClient>("mine", keyed);
        services.AddFallbackChatClient(o => o.Add(new ProviderOptions { Name = "mine", Kind = ProviderKinds.Custom, Model = "m-1", ServiceKey = "mine" }));
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();

        Assert.Equal(["mine"], client.GetService<FallbackChatClient>()!.ProviderNames);
    }

    [Fact]
    public async Task UseFallback_InnerClientFails_FallbackProviderAnswers()
    {
        var inner = new TestChatClient("inner") { OnResponse = (_, _, _) => throw Chain.Status(503) };
        var backup = new TestChatClient("backup");
        using var client = inner.AsBuilder()
            .UseFallback(o =>
            {
                o.RetryBaseDelay = TimeSpan.Zero;
                o.Add("backup", "backup-2024-01-01", backup);
            })
            .Build();

        var response = await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("answer from backup", response.Text);
        Assert.Equal("primary", Chain.AttemptsOf(response)[0].Provider);
    }
}
