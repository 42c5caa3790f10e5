using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace SkFallback.Providers;

/// <summary>Builds clients for OpenAI and every OpenAI-compatible kind on the official OpenAI SDK, with its retries off.</summary>
internal sealed class OpenAIProviderClientFactory : IProviderClientFactory
{
    private static readonly HashSet<string> Kinds = new(StringComparer.OrdinalIgnoreCase)
    {
        ProviderKinds.OpenAI, ProviderKinds.OpenAICompatible, ProviderKinds.Mistral, ProviderKinds.DeepSeek,
        ProviderKinds.Qwen, ProviderKinds.Gemini, ProviderKinds.OpenRouter,
    };

    public bool CanCreate(ProviderOptions provider) => Kinds.Contains(provider.Kind);

    public IChatClient Create(ProviderOptions provider, HttpClient httpClient)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = ProviderEndpoints.For(provider),

            // The chain owns retries and timing; the SDK must not retry or time out on its own.
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = TimeSpan.FromHours(1),
            Transport = new HttpClientPipelineTransport(httpClient),
        };

        // Local OpenAI-compatible servers (vLLM, Ollama) accept any key; the SDK insists on one.
        var credential = new ApiKeyCredential(string.IsNullOrEmpty(provider.ApiKey) ? "unused" : provider.ApiKey);
        return new OpenAI.Chat.ChatClient(provider.Model, credential, options).AsIChatClient();
    }
}
