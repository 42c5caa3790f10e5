using SkFallback.Simulator;

namespace SkFallback.Proxy.Offline;

/// <summary>
/// The chains the gateway serves when nothing is configured: three providers on the built-in simulator
/// (<c>gpt-4o-2024-08-06</c>, <c>claude-haiku-4-5-20251001</c>, <c>gpt-4o-mini-2024-07-18</c>), as the virtual
/// models <c>default</c>, <c>smart</c>, <c>fast</c> and <c>cheap</c>.
/// </summary>
internal static class OfflineChains
{
    /// <summary>The primary's model.</summary>
    public const string PrimaryModel = "gpt-4o-2024-08-06";

    /// <summary>The backup's model (Anthropic wire).</summary>
    public const string BackupModel = "claude-haiku-4-5-20251001";

    /// <summary>The cheap model.</summary>
    public const string MiniModel = "gpt-4o-mini-2024-07-18";

    /// <summary>Builds the offline chains over a running simulator.</summary>
    /// <param name="simulator">The simulator.</param>
    /// <returns>The chains in order.</returns>
    public static List<(string Name, string Section, FallbackOptions Options)> Create(ProviderSimulator simulator)
    {
        ProviderOptions OpenAI(string name, string model) =>
            new() { Name = name, Kind = ProviderKinds.OpenAI, Model = model, ApiKey = "sim-openai-key", Endpoint = simulator.OpenAIEndpoint };
        ProviderOptions Claude() =>
            new() { Name = "anthropic", Kind = ProviderKinds.Anthropic, Model = BackupModel, ApiKey = "sim-anthropic-key", Endpoint = simulator.AnthropicEndpoint };

        FallbackOptions Chain(params ProviderOptions[] providers)
        {
            var options = new FallbackOptions { AttemptTimeout = TimeSpan.FromSeconds(30), FirstTokenTimeout = TimeSpan.FromSeconds(5) };
            options.Streaming.StallTimeout = TimeSpan.FromSeconds(5);
            foreach (var provider in providers)
            {
                options.Add(provider);
            }

            return options;
        }

        var cheap = Chain(OpenAI("openai-mini", MiniModel), Claude(), OpenAI("openai", PrimaryModel));
        cheap.Routing.Policy = Routing.RoutingPolicyNames.Cheapest;
        return
        [
            ("default", "SkFallback:Chains:default", Chain(OpenAI("openai", PrimaryModel), Claude(), OpenAI("openai-mini", MiniModel))),
            ("smart", "SkFallback:Chains:smart", Chain(OpenAI("openai", PrimaryModel), Claude())),
            ("fast", "SkFallback:Chains:fast", Chain(OpenAI("openai-mini", MiniModel), Claude())),
            ("cheap", "SkFallback:Chains:cheap", cheap),
        ];
    }
}
