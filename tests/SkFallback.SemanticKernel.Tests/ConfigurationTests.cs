using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback.Simulator;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>Chains bound from an <c>appsettings</c>-style <c>SkFallback</c> section, and bad sections failing with the key named.</summary>
public sealed class ConfigurationTests
{
    private const string Question = "Say something.";

    [Fact]
    public async Task AddFallbackChatCompletion_ConfigurationRoot_BindsSkFallbackSectionAndFallsBack()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.ServerError(502));
        var configuration = Json($$"""
            {
              "SkFallback": {
                "AttemptTimeout": "00:00:05",
                "RetryBaseDelay": "00:00:00.010",
                "RetryBudget": 1,
                "Providers": [
                  { "Name": "primary", "Kind": "OpenAI", "Model": "{{Chains.ModelA}}", "ApiKey": "test", "Endpoint": "{{simulator.OpenAIEndpoint}}" },
                  { "Name": "backup", "Kind": "Anthropic", "Model": "{{Chains.ModelB}}", "ApiKey": "test", "Endpoint": "{{simulator.AnthropicEndpoint}}", "MaxOutputTokens": 512 }
                ]
              }
            }
            """);
        var kernel = Kernel.CreateBuilder().AddFallbackChatCompletion(configuration).Build();
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        var answer = await chat.GetChatMessageContentAsync(Chains.Ask(Question), kernel: kernel, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("primary,backup", chat.Attributes[FallbackChatCompletionService.ProvidersKey]);
        Assert.Equal(simulator.ExpectedReply(Chains.ModelB, Question), answer.Content);
        Assert.Equal("backup", Chains.Provider(answer.Metadata));

        // RetryBudget 1 and one retry per provider: A is tried twice, then the chain moves on.
        Assert.Equal(2, simulator.RequestsFor(Chains.ModelA).Count);
        Assert.Equal(512, simulator.RequestsFor(Chains.ModelB)[0].Body["max_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task AddFallbackChatCompletion_SectionAndCodeWithServiceId_RegistersKeyedServiceWithCodeApplied()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var configuration = Json($$"""
            {
              "Llm": {
                "Chat": {
                  "Providers": [
                    { "Name": "local", "Kind": "OpenAICompatible", "Model": "{{Chains.ModelA}}", "Endpoint": "{{simulator.OpenAIEndpoint}}" }
                  ]
                }
              }
            }
            """);
        var kernel = Kernel.CreateBuilder()
            .AddFallbackChatCompletion(
                configuration.GetSection("Llm:Chat"),
                options => options.Add(Chains.Provider(simulator, "cloud", WireFormat.Anthropic, Chains.ModelB)),
                serviceId: "fallback")
            .Build();

        var chat = kernel.GetRequiredService<IChatCompletionService>("fallback");
        var answer = await chat.GetChatMessageContentAsync(Chains.Ask(Question), kernel: kernel, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("local,cloud", chat.Attributes[FallbackChatCompletionService.ProvidersKey]);
        Assert.Equal("local", Chains.Provider(answer.Metadata));
        Assert.Null(kernel.Services.GetService<IChatCompletionService>());
    }

    [Fact]
    public async Task AddFallbackChatCompletion_TwoServiceIds_KeepsChainsApart()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var builder = Kernel.CreateBuilder();
        builder.AddFallbackChatCompletion(o => o.Add(Chains.Provider(simulator, "one", WireFormat.OpenAI, Chains.ModelA)), "first");
        builder.AddFallbackChatCompletion(o => o.Add(Chains.Provider(simulator, "two", WireFormat.Anthropic, Chains.ModelB)), "second");
        var kernel = builder.Build();

        Assert.Equal("one", kernel.GetRequiredService<IChatCompletionService>("first").Attributes[FallbackChatCompletionService.ProvidersKey]);
        Assert.Equal("two", kernel.GetRequiredService<IChatCompletionService>("second").Attributes[FallbackChatCompletionService.ProvidersKey]);
        Assert.Single(kernel.AutoFunctionInvocationFilters.OfType<FallbackFunctionInvocationFilter>());
    }

    public static TheoryData<string, string> InvalidSections => new()
    {
        { """{ "Providers": [] }""", "SkFallback:Providers" },
        { """{ "Providers": [ {P0}, { "Name": "a", "Kind": "OpenAI", "Model": "m-2024", "ApiKey": "k" } ] }""", "SkFallback:Providers:1:Name" },
        { """{ "Providers": [ {P0}, { "Name": "b", "Kind": "Cohere", "Model": "m-2024", "ApiKey": "k" } ] }""", "SkFallback:Providers:1:Kind" },
        { """{ "RetryBudget": -1, "Providers": [ {P0} ] }""", "SkFallback:RetryBudget" },
        { """{ "AttemptTimeout": "-00:00:05", "Providers": [ {P0} ] }""", "SkFallback:AttemptTimeout" },
        { """{ "Providers": [ {P0}, { "Name": "b", "Kind": "OpenAI", "Model": "m-2024" } ] }""", "SkFallback:Providers:1:ApiKey" },
        { """{ "Providers": [ {P0}, { "Name": "b", "Kind": "OpenAICompatible", "Model": "m-2024" } ] }""", "SkFallback:Providers:1:Endpoint" },
        { """{ "Providers": [ { "Name": "a", "Kind": "OpenAI", "Model": "gpt-4o-latest", "ApiKey": "k" } ] }""", "SkFallback:Providers:0:Model" },
    };

    [Theory]
    [MemberData(nameof(InvalidSections))]
    public void GetRequiredService_InvalidSection_ThrowsNamingTheKey(string section, string key)
    {
        var json = """{ "SkFallback": SECTION }""".Replace("SECTION", section, StringComparison.Ordinal)
            .Replace("{P0}", """{ "Name": "a", "Kind": "OpenAI", "Model": "m-2024", "ApiKey": "k" }""", StringComparison.Ordinal);
        var kernel = Kernel.CreateBuilder().AddFallbackChatCompletion(Json(json)).Build();

        var exception = Assert.Throws<OptionsValidationException>(() => kernel.GetRequiredService<IChatCompletionService>());

        Assert.Contains(key, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetRequiredService_InvalidNestedSection_NamesTheSectionPath()
    {
        var configuration = Json("""{ "Llm": { "Chat": { "Providers": [ { "Name": "a", "Kind": "OpenAI", "Model": "m-2024" } ] } } }""");
        var kernel = Kernel.CreateBuilder().AddFallbackChatCompletion(configuration.GetSection("Llm:Chat")).Build();

        var exception = Assert.Throws<OptionsValidationException>(() => kernel.GetRequiredService<IChatCompletionService>());

        Assert.Contains("Llm:Chat:Providers:0:ApiKey", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HostWithInvalidSection_FailsAtStart()
    {
        var services = new ServiceCollection();
        services.AddFallbackChatCompletion(Json("""{ "SkFallback": { "RetryBudget": 500, "Providers": [] } }"""));
        using var provider = services.BuildServiceProvider();

        // What a host's ValidateOnStart runs.
        var validator = provider.GetRequiredService<IStartupValidator>();
        var exception = Assert.Throws<OptionsValidationException>(validator.Validate);

        Assert.Contains("SkFallback:RetryBudget", exception.Message, StringComparison.Ordinal);
        Assert.Contains("SkFallback:Providers", exception.Message, StringComparison.Ordinal);
    }

    private static IConfigurationRoot Json(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
}
