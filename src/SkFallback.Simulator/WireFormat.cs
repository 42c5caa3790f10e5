namespace SkFallback.Simulator;

/// <summary>The provider wire format a simulated request arrived in.</summary>
public enum WireFormat
{
    /// <summary>OpenAI chat completions (<c>/v1/chat/completions</c>).</summary>
    OpenAI,

    /// <summary>Anthropic messages (<c>/v1/messages</c>).</summary>
    Anthropic,
}
