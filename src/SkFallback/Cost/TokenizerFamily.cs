namespace SkFallback.Cost;

/// <summary>The model families the token estimator tells apart.</summary>
public enum TokenizerFamily
{
    /// <summary>A model id the estimator does not recognise: counted with <c>o200k_base</c>, no correction.</summary>
    Unknown,

    /// <summary>Current OpenAI models (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1, o3, o4): <c>o200k_base</c>, exact.</summary>
    OpenAIO200k,

    /// <summary>Older OpenAI models (gpt-4, gpt-4-turbo, gpt-3.5): <c>cl100k_base</c>, exact.</summary>
    OpenAICl100k,

    /// <summary>Anthropic Claude: counted with <c>cl100k_base</c> and scaled.</summary>
    Anthropic,

    /// <summary>Google Gemini: counted with <c>o200k_base</c> and scaled.</summary>
    Gemini,

    /// <summary>Mistral (mistral, ministral, codestral, pixtral, magistral, devstral): counted with <c>cl100k_base</c> and scaled.</summary>
    Mistral,

    /// <summary>DeepSeek: counted with <c>cl100k_base</c> and scaled.</summary>
    DeepSeek,

    /// <summary>Alibaba Qwen (qwen, qwq): counted with <c>o200k_base</c> and scaled.</summary>
    Qwen,
}
