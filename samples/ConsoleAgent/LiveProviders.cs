using SkFallback;

namespace ConsoleAgent;

/// <summary>Real providers, in chain order, for the API keys present in the environment.</summary>
internal static class LiveProviders
{
    public static IReadOnlyList<ProviderOptions> FromEnvironment()
    {
        var providers = new List<ProviderOptions>();
        Add(providers, "openai", ProviderKinds.OpenAI, "OPENAI_API_KEY", "SKFALLBACK_OPENAI_MODEL", "gpt-4o-mini-2024-07-18");
        Add(providers, "anthropic", ProviderKinds.Anthropic, "ANTHROPIC_API_KEY", "SKFALLBACK_ANTHROPIC_MODEL", "claude-3-5-haiku-20241022");
        Add(providers, "mistral", ProviderKinds.Mistral, "MISTRAL_API_KEY", "SKFALLBACK_MISTRAL_MODEL", "mistral-small-2503");
        Add(providers, "deepseek", ProviderKinds.DeepSeek, "DEEPSEEK_API_KEY", "SKFALLBACK_DEEPSEEK_MODEL", "deepseek-chat");
        Add(providers, "gemini", ProviderKinds.Gemini, "GEMINI_API_KEY", "SKFALLBACK_GEMINI_MODEL", "gemini-2.0-flash-001");
        Add(providers, "openrouter", ProviderKinds.OpenRouter, "OPENROUTER_API_KEY", "SKFALLBACK_OPENROUTER_MODEL", "openai/gpt-4o-mini-2024-07-18");
        return providers;
    }

    private static void Add(List<ProviderOptions> providers, string name, string kind, string keyVariable, string modelVariable, string defaultModel)
    {
        var key = Environment.GetEnvironmentVariable(keyVariable);
        if (string.IsNullOrWhiteSpace(key))
        {
            return;
        }

        var model = Environment.GetEnvironmentVariable(modelVariable);
        providers.Add(new ProviderOptions { Name = name, Kind = kind, Model = string.IsNullOrWhiteSpace(model) ? defaultModel : model, ApiKey = key });
    }
}
