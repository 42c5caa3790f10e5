using Microsoft.Extensions.AI;

namespace SkFallback.Tests.Caching;

/// <summary>
/// A hand-written embedding generator for cache tests: a normalised bag of the lower-cased words made of letters only
/// (digits are ignored), hashed into 64 dimensions. Same words in any order give cosine 1, so the guard, not the
/// embedding, must tell "refund order 1234" from "refund order 5678".
/// </summary>
internal sealed class WordEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public Exception? Failure { get; set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (Failure is not null)
        {
            throw Failure;
        }

        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            result.Add(new Embedding<float>(Embed(value)));
        }

        return Task.FromResult(result);
    }

    public static float[] Embed(string text)
    {
        var vector = new float[64];
        foreach (var word in text.ToLowerInvariant().Split(' ', ',', '.', '?', '!', '"', '\''))
        {
            if (word.Length == 0 || !word.All(char.IsLetter))
            {
                continue;
            }

            var hash = 2166136261u;
            foreach (var c in word)
            {
                hash = (hash ^ c) * 16777619u;
            }

            vector[hash % 64] += 1;
        }

        if (vector.All(v => v == 0))
        {
            vector[0] = 1;
        }

        return vector;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
