using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SkFallback.Embeddings.MiniLM;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the local MiniLM embedding generator.</summary>
public static class MiniLMServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MiniLMEmbeddingGenerator"/> as the application's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>
    /// of strings (a singleton, created on first use), unless one is registered already. The SkFallback semantic cache uses it.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMiniLMEmbeddingGenerator(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => new MiniLMEmbeddingGenerator(sp.GetService<TimeProvider>()));
        return services;
    }
}
