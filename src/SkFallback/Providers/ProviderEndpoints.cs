namespace SkFallback.Providers;

/// <summary>The default base URLs of the hosted provider kinds.</summary>
public static class ProviderEndpoints
{
    /// <summary>OpenAI.</summary>
    public static Uri OpenAI { get; } = new("https://api.openai.com/v1");

    /// <summary>Anthropic.</summary>
    public static Uri Anthropic { get; } = new("https://api.anthropic.com");

    /// <summary>Mistral (OpenAI-compatible).</summary>
    public static Uri Mistral { get; } = new("https://api.mistral.ai/v1");

    /// <summary>DeepSeek (OpenAI-compatible).</summary>
    public static Uri DeepSeek { get; } = new("https://api.deepseek.com/v1");

    /// <summary>Qwen on DashScope, international region (OpenAI-compatible mode).</summary>
    public static Uri Qwen { get; } = new("https://dashscope-intl.aliyuncs.com/compatible-mode/v1");

    /// <summary>Gemini's OpenAI-compatible endpoint.</summary>
    public static Uri Gemini { get; } = new("https://generativelanguage.googleapis.com/v1beta/openai/");

    /// <summary>OpenRouter (OpenAI-compatible).</summary>
    public static Uri OpenRouter { get; } = new("https://openrouter.ai/api/v1");

    /// <summary>The endpoint a provider will be called at: its own, or its kind's default.</summary>
    /// <param name="provider">The provider.</param>
    /// <returns>The endpoint, or <see langword="null"/> for kinds without a default.</returns>
    public static Uri? For(ProviderOptions provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return provider.Endpoint ?? provider.Kind.ToUpperInvariant() switch
        {
            "OPENAI" => OpenAI,
            "ANTHROPIC" => Anthropic,
            "MISTRAL" => Mistral,
            "DEEPSEEK" => DeepSeek,
            "QWEN" => Qwen,
            "GEMINI" => Gemini,
            "OPENROUTER" => OpenRouter,
            _ => null,
        };
    }
}
