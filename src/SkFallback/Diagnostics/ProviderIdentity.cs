using Microsoft.Extensions.AI;
using SkFallback.Providers;

namespace SkFallback.Diagnostics;

/// <summary>
/// How one provider of a chain appears in GenAI telemetry, worked out once when the chain is built: its span name
/// (<c>chat {model}</c>), its <c>gen_ai.provider.name</c> and the server it is called at.
/// </summary>
internal sealed class ProviderIdentity
{
    private ProviderIdentity(string model, string providerName, Uri? endpoint)
    {
        SpanName = $"{FallbackTelemetry.ChatOperation} {model}";
        ProviderName = providerName;
        if (endpoint is { IsAbsoluteUri: true })
        {
            ServerAddress = endpoint.Host;
            ServerPort = endpoint.Port;
        }
    }

    public string SpanName { get; }

    public string ProviderName { get; }

    public string? ServerAddress { get; }

    /// <summary>Gets the server's port, boxed once: a tag value is an object.</summary>
    public object? ServerPort { get; }

    /// <summary>The identity of a provider: the conventions' well-known name for its kind, or what a caller's client says of itself.</summary>
    public static ProviderIdentity For(ProviderOptions provider, IChatClient client)
    {
        var metadata = provider.Kind.Equals(ProviderKinds.Custom, StringComparison.OrdinalIgnoreCase) ? client.GetService<ChatClientMetadata>() : null;
        var name = provider.Kind.ToUpperInvariant() switch
        {
            // The conventions name an OpenAI-wire endpoint "openai" unless the instrumentation knows better.
            "OPENAI" or "OPENAICOMPATIBLE" => "openai",
            "ANTHROPIC" => "anthropic",
            "MISTRAL" => "mistral_ai",
            "DEEPSEEK" => "deepseek",
            "GEMINI" => "gcp.gemini",
            "QWEN" => "alibaba.dashscope",
            "OPENROUTER" => "openrouter",
            _ => metadata?.ProviderName ?? "custom",
        };
        return new ProviderIdentity(provider.Model, name, ProviderEndpoints.For(provider) ?? metadata?.ProviderUri);
    }
}
