using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkFallback.Caching;
using SkFallback.Cost;

namespace Microsoft.Extensions.AI;

/// <summary>Adds the SkFallback response cache to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class SemanticCacheChatClientBuilderExtensions
{
    /// <summary>
    /// Puts the exact and semantic response cache above the clients added after it (place it above <c>UseFallback</c>, or
    /// call it on the builder <c>AddFallbackChatClient</c> returns, so a hit costs no provider call). The store and the
    /// embedding generator come from the service provider when registered (<c>AddFallbackCache</c>,
    /// <c>AddMiniLMEmbeddingGenerator</c>); otherwise an in-process store is used and, without a generator, only the exact layer.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Adjusts the options registered with <c>AddFallbackCache</c> (or the defaults) for this pipeline.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseFallbackCache(this ChatClientBuilder builder, Action<SemanticCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var registered = services.GetService<IOptions<SemanticCacheOptions>>()?.Value;
            var options = registered?.Clone() ?? new SemanticCacheOptions();
            configure?.Invoke(options);
            return new SemanticCacheChatClient(
                inner,
                options,
                services.GetService<ISemanticCacheStore>(),
                services.GetService<IEmbeddingGenerator<string, Embedding<float>>>(),
                services.GetService<ILoggerFactory>(),
                services.GetService<TimeProvider>(),
                services.GetService<PriceCatalog>());
        });
    }
}
