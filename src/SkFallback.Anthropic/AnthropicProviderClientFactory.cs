using Anthropic;
using Anthropic.Core;
using Microsoft.Extensions.AI;
using SkFallback.Providers;

namespace SkFallback.Anthropic;

/// <summary>Builds Anthropic providers on the official Anthropic SDK, with the SDK's own retries and timeout off.</summary>
public sealed class AnthropicProviderClientFactory : IProviderClientFactory
{
    /// <summary>The output-token cap sent when neither the request nor the provider sets one (Anthropic requires one).</summary>
    public const int DefaultMaxOutputTokens = 4096;

    /// <inheritdoc />
    public bool CanCreate(ProviderOptions provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return string.Equals(provider.Kind, ProviderKinds.Anthropic, StringComparison.OrdinalIgnoreCase);
    }

    /// <inheritdoc />
    public IChatClient Create(ProviderOptions provider, HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(httpClient);
        var client = new AnthropicClient
        {
            ApiKey = provider.ApiKey!,
            BaseUrl = (ProviderEndpoints.For(provider) ?? ProviderEndpoints.Anthropic).ToString().TrimEnd('/'),

            // The chain owns retries and timing.
            MaxRetries = 0,
            Timeout = TimeSpan.FromHours(1),
            HttpClient = httpClient,

            // The chain traces each attempt as its GenAI chat span: the SDK's own would trace the same request twice.
            OpenTelemetry = new OpenTelemetryOptions { Traces = new OpenTelemetryTraces { Enabled = false } },
        };
        return client.AsIChatClient(provider.Model, provider.MaxOutputTokens ?? DefaultMaxOutputTokens);
    }
}
