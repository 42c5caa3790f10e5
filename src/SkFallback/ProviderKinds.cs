namespace SkFallback;

/// <summary>The provider kinds a <see cref="ProviderOptions.Kind"/> may name.</summary>
public static class ProviderKinds
{
    /// <summary>OpenAI's own API (<c>https://api.openai.com/v1</c>); needs an API key.</summary>
    public const string OpenAI = "OpenAI";

    /// <summary>Any endpoint that speaks OpenAI chat completions (vLLM, Ollama, LM Studio, gateways); needs an endpoint.</summary>
    public const string OpenAICompatible = "OpenAICompatible";

    /// <summary>Anthropic's messages API through the official SDK (package SkFallback.Anthropic); needs an API key.</summary>
    public const string Anthropic = "Anthropic";

    /// <summary>Mistral's OpenAI-compatible endpoint.</summary>
    public const string Mistral = "Mistral";

    /// <summary>DeepSeek's OpenAI-compatible endpoint.</summary>
    public const string DeepSeek = "DeepSeek";

    /// <summary>Qwen models on Alibaba Cloud DashScope's OpenAI-compatible endpoint.</summary>
    public const string Qwen = "Qwen";

    /// <summary>Google Gemini's OpenAI-compatible endpoint.</summary>
    public const string Gemini = "Gemini";

    /// <summary>OpenRouter's OpenAI-compatible endpoint.</summary>
    public const string OpenRouter = "OpenRouter";

    /// <summary>A caller-supplied <c>IChatClient</c> (<see cref="ProviderOptions.Client"/>, or one registered in DI under <see cref="ProviderOptions.ServiceKey"/>).</summary>
    public const string Custom = "Custom";

    /// <summary>Gets every known kind.</summary>
    public static IReadOnlyList<string> All { get; } = [OpenAI, OpenAICompatible, Anthropic, Mistral, DeepSeek, Qwen, Gemini, OpenRouter, Custom];
}
