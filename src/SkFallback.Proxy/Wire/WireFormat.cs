namespace SkFallback.Proxy.Wire;

/// <summary>The wire a client speaks to the gateway.</summary>
internal enum ClientWire
{
    /// <summary>OpenAI chat completions.</summary>
    OpenAI,

    /// <summary>Anthropic messages.</summary>
    Anthropic,
}
