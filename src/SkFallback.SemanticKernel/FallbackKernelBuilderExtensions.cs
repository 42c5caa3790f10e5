using Microsoft.Extensions.Configuration;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback;
using SkFallback.Caching;
using SkFallback.SemanticKernel;

namespace Microsoft.SemanticKernel;

/// <summary>Adds a fallback chain to a kernel as its <see cref="IChatCompletionService"/>.</summary>
public static class FallbackKernelBuilderExtensions
{
    /// <summary>
    /// Adds an <see cref="IChatCompletionService"/> (a <see cref="FallbackChatCompletionService"/>) over a fallback chain
    /// configured from <paramref name="configuration"/>, plus the <see cref="FallbackFunctionInvocationFilter"/>. Invalid
    /// configuration fails when the service is first resolved, with a message naming the key.
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="configuration">
    /// The configuration section holding <see cref="FallbackOptions"/>; when a configuration root is passed, its
    /// <see cref="FallbackOptions.SectionName"/> (<c>SkFallback</c>) section is used.
    /// </param>
    /// <param name="configure">Further configuration in code, applied after binding.</param>
    /// <param name="serviceId">The key the service is registered under, as for other Semantic Kernel connectors; unkeyed when <see langword="null"/>.</param>
    /// <param name="useCache">
    /// Whether to put the exact and semantic response cache above the chain (under the kernel's tool loop), with its
    /// <see cref="SemanticCacheOptions"/> bound from the <c>Cache</c> subsection (<c>SkFallback:Cache</c>) and validated
    /// with messages naming the key. A hit makes no provider call and says so in the answer's metadata.
    /// </param>
    /// <param name="configureCache">Further cache configuration in code, applied after binding; passing it turns the cache on.</param>
    /// <returns>The kernel builder.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddMiniLMEmbeddingGenerator();   // the semantic layer; without a generator only the exact layer works
    /// builder.AddFallbackChatCompletion(configuration.GetSection("SkFallback"), useCache: true);
    /// </code>
    /// </example>
    public static IKernelBuilder AddFallbackChatCompletion(
        this IKernelBuilder builder,
        IConfiguration configuration,
        Action<FallbackOptions>? configure = null,
        string? serviceId = null,
        bool useCache = false,
        Action<SemanticCacheOptions>? configureCache = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddFallbackChatCompletion(configuration, configure, serviceId, useCache, configureCache);
        return builder;
    }

    /// <summary>
    /// Adds an <see cref="IChatCompletionService"/> (a <see cref="FallbackChatCompletionService"/>) over a fallback chain
    /// configured in code, plus the <see cref="FallbackFunctionInvocationFilter"/>.
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="configure">Adds the providers and tunes the chain.</param>
    /// <param name="serviceId">The key the service is registered under, as for other Semantic Kernel connectors; unkeyed when <see langword="null"/>.</param>
    /// <param name="useCache">Whether to put the response cache above the chain, with default <see cref="SemanticCacheOptions"/> unless <paramref name="configureCache"/> changes them.</param>
    /// <param name="configureCache">Configures the cache (validated, keys named under <c>SkFallback:Cache</c>); passing it turns the cache on.</param>
    /// <returns>The kernel builder.</returns>
    public static IKernelBuilder AddFallbackChatCompletion(
        this IKernelBuilder builder,
        Action<FallbackOptions> configure,
        string? serviceId = null,
        bool useCache = false,
        Action<SemanticCacheOptions>? configureCache = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddFallbackChatCompletion(configure, serviceId, useCache, configureCache);
        return builder;
    }
}
