using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace SkFallback.Embeddings.MiniLM.Tests;

/// <summary>Remembers the embeddings of a real generator, so a threshold sweep embeds each text once.</summary>
internal sealed class MemoizingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly ConcurrentDictionary<string, Embedding<float>> _seen = new(StringComparer.Ordinal);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            if (!_seen.TryGetValue(value, out var embedding))
            {
                embedding = (await inner.GenerateAsync([value], options, cancellationToken))[0];
                _seen[value] = embedding;
            }

            result.Add(embedding);
        }

        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

    public void Dispose()
    {
    }
}
