using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback.Cost;
using SkFallback.Simulator;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>Routing metadata and the per-turn budget through Semantic Kernel, against the simulator over HTTP.</summary>
public sealed class CostTests
{
    private const string Expensive = "sk-cost-a-2024-05-01";
    private const string Cheap = "sk-cost-b-2024-05-01";

    private static PriceCatalog Catalog() => PriceCatalog.Load(new MemoryStream(Encoding.UTF8.GetBytes($$"""
        {
          "asOf": "2026-11-29",
          "models": {
            "{{Expensive}}": { "provider": "OpenAI", "inputPerMillion": 100, "outputPerMillion": 400, "contextWindow": 128000, "maxOutputTokens": 4096,
                               "capabilities": { "tools": true }, "qualityTier": 5 },
            "{{Cheap}}": { "provider": "OpenAI", "inputPerMillion": 1, "outputPerMillion": 4, "contextWindow": 128000, "maxOutputTokens": 4096,
                           "capabilities": { "tools": true }, "qualityTier": 2 }
          }
        }
        """)));

    private static Kernel Kernel(ProviderSimulator simulator, WeatherPlugin plugin, Action<FallbackOptions>? configure = null, bool cheapProvider = true)
    {
        var builder = Microsoft.SemanticKernel.Kernel.CreateBuilder();
        builder.Services.AddSingleton(Catalog());
        builder.AddFallbackChatCompletion(options =>
        {
            Chains.Fast(options);
            options.Add(Chains.Provider(simulator, "A", WireFormat.OpenAI, Expensive));
            if (cheapProvider)
            {
                options.Add(Chains.Provider(simulator, "B", WireFormat.Anthropic, Cheap));
            }

            configure?.Invoke(options);
        });
        builder.Plugins.AddFromObject(plugin, Chains.PluginName);
        return builder.Build();
    }

    [Fact]
    public async Task ExtensionData_RoutesThroughConditionalRules_AndNeverReachesProviders()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var kernel = Kernel(simulator, new WeatherPlugin(), o =>
        {
            o.Routing.Policy = "conditional";
            var free = new Routing.RoutingRule { UserTier = "free" };
            free.Chain.Add("B");
            o.Routing.Rules.Add(free);
        });
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var settings = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { [FallbackMetadataKeys.UserTier] = "free", [FallbackMetadataKeys.Tenant] = "acme" } };

        var answer = await chat.GetChatMessageContentAsync(Chains.Ask("Hello there"), settings, kernel, TestContext.Current.CancellationToken);

        Assert.Equal("B", Chains.Provider(answer.Metadata));
        Assert.Empty(simulator.RequestsFor(Expensive));
        var sent = Assert.Single(simulator.RequestsFor(Cheap));
        Assert.DoesNotContain("skfallback", sent.Body.ToJsonString(), StringComparison.Ordinal);
        Assert.IsType<decimal>(answer.Metadata![FallbackMetadataKeys.CostUsd]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TurnBudget_ToolLoopThatNeverEnds_StopsWithAClearResultWhenSpent(bool fromConfiguration)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

        // The model asks for the tool on every round trip: without a budget the loop would run to the kernel's limit.
        simulator.Model(Expensive).Always(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments));
        var plugin = new WeatherPlugin();
        var kernel = Kernel(simulator, plugin, o =>
        {
            if (fromConfiguration)
            {
                o.Budget.MaxCostPerTurn = 0.05m;
            }
        }, cheapProvider: false);
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var settings = Chains.AutoFunctions();
        settings.ExtensionData = new Dictionary<string, object> { ["max_tokens"] = 20 };
        if (!fromConfiguration)
        {
            settings.ExtensionData[FallbackMetadataKeys.MaxTurnCostUsd] = 0.05m;
        }

        var history = Chains.Ask();
        var answer = await chat.GetChatMessageContentAsync(history, settings, kernel, TestContext.Current.CancellationToken);

        var calls = simulator.RequestsFor(Expensive).Count;
        Assert.InRange(calls, 2, 20);
        Assert.Equal(calls - 1, plugin.Invocations);
        Assert.Contains("The turn's budget of 0.05 USD is spent", answer.Content, StringComparison.Ordinal);
        Assert.Contains("tool loop ended before running Weather.get_weather", answer.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TurnBudget_Streaming_EndsTheStreamWithTheReason()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Expensive).Always(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments));
        var plugin = new WeatherPlugin();
        var kernel = Kernel(simulator, plugin, o => o.Budget.MaxCostPerTurn = 0.05m, cheapProvider: false);
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var settings = Chains.AutoFunctions();
        settings.ExtensionData = new Dictionary<string, object> { ["max_tokens"] = 20 };

        var chunks = await Chains.CollectAsync(chat.GetStreamingChatMessageContentsAsync(Chains.Ask(), settings, kernel, TestContext.Current.CancellationToken));

        var calls = simulator.RequestsFor(Expensive).Count;
        Assert.InRange(calls, 2, 20);
        Assert.Equal(calls - 1, plugin.Invocations);
        Assert.Contains("The turn's budget of 0.05 USD is spent", Chains.Text(chunks), StringComparison.Ordinal);
    }
}
