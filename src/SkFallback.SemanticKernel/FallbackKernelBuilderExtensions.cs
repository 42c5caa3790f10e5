using Microsoft.Extensions.Configuration;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback;
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
    /// <returns>The kernel builder.</returns>
    public static IKernelBuilder AddFallbackChatCompletion(
        this IKernelBuilder builder,
        IConfiguration configuration,
        Action<FallbackOptions>? configure = null,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddFallbackChatCompletion(configuration, configure, serviceId);
        return builder;
    }

    /// <summary>
    /// Adds an <see cref="IChatCompletionService"/> (a <see cref="FallbackChatCompletionService"/>) over a fallback chain
    /// configured in code, plus the <see cref="FallbackFunctionInvocationFilter"/>.
    /// </summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="configure">Adds the providers and tunes the chain.</param>
    /// <param name="serviceId">The key the service is registered under, as for other Semantic Kernel connectors; unkeyed when <see langword="null"/>.</param>
    /// <returns>The kernel builder.</returns>
    public static IKernelBuilder AddFallbackChatCompletion(
        this IKernelBuilder builder,
        Action<FallbackOptions> configure,
        string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddFallbackChatCompletion(configure, serviceId);
        return builder;
    }
}
