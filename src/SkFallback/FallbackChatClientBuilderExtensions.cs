using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SkFallback;
using SkFallback.Providers;

namespace Microsoft.Extensions.AI;

/// <summary>Adds a fallback chain to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class FallbackChatClientBuilderExtensions
{
    /// <summary>
    /// Puts the builder's inner client first in a fallback chain and the providers added by
    /// <paramref name="configure"/> after it. Place it under <c>UseFunctionInvocation()</c>, so each model round
    /// trip of a tool loop is protected on its own and no function runs twice.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Adds the fallback providers and tunes the chain.</param>
    /// <param name="primaryName">The name the inner client has in attempts and telemetry.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseFallback(this ChatClientBuilder builder, Action<FallbackOptions> configure, string primaryName = "primary")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentException.ThrowIfNullOrWhiteSpace(primaryName);

        return builder.Use((inner, services) =>
        {
            var options = new FallbackOptions();
            options.Providers.Add(new ProviderOptions
            {
                Name = primaryName,
                Kind = ProviderKinds.Custom,
                Model = inner.GetService<ChatClientMetadata>()?.DefaultModelId ?? primaryName,
                Client = inner,
            });
            configure(options);
            return FallbackChatClientFactory.Create(services, options, FallbackOptions.SectionName);
        });
    }
}
