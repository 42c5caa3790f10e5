namespace SkFallback.Events;

/// <summary>Well-known label names of <see cref="FallbackEvent.Labels"/>.</summary>
public static class FallbackEventLabels
{
    /// <summary>The gateway's virtual model the client asked for.</summary>
    public const string VirtualModel = "virtual_model";

    /// <summary>The name of the chain that served the call (the gateway's chain behind the virtual model).</summary>
    public const string Chain = "chain";

    /// <summary>The id of the gateway key the call was made with (never the key itself).</summary>
    public const string GatewayKeyId = "gateway_key_id";

    /// <summary>The wire the gateway's client spoke: <c>openai</c> or <c>anthropic</c>.</summary>
    public const string Wire = "wire";
}
