using Microsoft.Extensions.AI;

namespace SkFallback.Providers;

/// <summary>Creates the <see cref="IChatClient"/> for one configured provider kind.</summary>
/// <remarks>The core handles OpenAI and the OpenAI-compatible kinds; SkFallback.Anthropic adds Anthropic.</remarks>
public interface IProviderClientFactory
{
    /// <summary>Whether this factory builds clients for the given provider's kind.</summary>
    /// <param name="provider">The provider.</param>
    /// <returns><see langword="true"/> when <see cref="Create"/> can build it.</returns>
    bool CanCreate(ProviderOptions provider);

    /// <summary>Creates a client for the provider whose SDK-internal retries are off, sending through <paramref name="httpClient"/>.</summary>
    /// <param name="provider">The validated provider options.</param>
    /// <param name="httpClient">The HTTP client to send with; the chain observes status codes and rate-limit headers through it.</param>
    /// <returns>The client.</returns>
    IChatClient Create(ProviderOptions provider, HttpClient httpClient);
}
