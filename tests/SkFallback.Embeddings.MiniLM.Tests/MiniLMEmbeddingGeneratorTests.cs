using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace SkFallback.Embeddings.MiniLM.Tests;

public sealed class MiniLMEmbeddingGeneratorTests : IClassFixture<MiniLMFixture>
{
    private readonly MiniLMEmbeddingGenerator _generator;

    public MiniLMEmbeddingGeneratorTests(MiniLMFixture fixture)
    {
        _generator = fixture.Generator;
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Generate_ShortText_Returns384UnitLengthDimensions()
    {
        var embedding = await _generator.GenerateAsync("What is the capital of France?", cancellationToken: Token);

        Assert.Equal(384, embedding.Vector.Length);
        Assert.Equal(1.0, TensorPrimitives.Norm(embedding.Vector.Span), 3);
        Assert.Equal(MiniLMEmbeddingGenerator.ModelId, embedding.ModelId);
    }

    [Fact]
    public async Task Generate_Paraphrase_IsCloserThanUnrelatedText()
    {
        var vectors = await _generator.GenerateAsync(
            ["How do I reset my password?", "What are the steps to reset my password?", "Which bird migrates the farthest?"],
            cancellationToken: Token);

        var paraphrase = TensorPrimitives.CosineSimilarity(vectors[0].Vector.Span, vectors[1].Vector.Span);
        var unrelated = TensorPrimitives.CosineSimilarity(vectors[0].Vector.Span, vectors[2].Vector.Span);
        Assert.True(paraphrase > 0.8f, $"paraphrase cosine {paraphrase}");
        Assert.True(unrelated < 0.3f, $"unrelated cosine {unrelated}");
    }

    [Fact]
    public async Task Generate_BatchAndSingle_GiveTheSameVectors()
    {
        var texts = new[] { "Refund order 1234", "Book a table for two at 7 pm tonight" };
        var batch = await _generator.GenerateAsync(texts, cancellationToken: Token);
        var single = await _generator.GenerateAsync(texts[1], cancellationToken: Token);

        Assert.Equal(2, batch.Count);
        Assert.True(TensorPrimitives.CosineSimilarity(batch[1].Vector.Span, single.Vector.Span) > 0.9999f);
        Assert.Empty(await _generator.GenerateAsync([], cancellationToken: Token));
    }

    [Fact]
    public async Task Generate_LongText_IsTruncatedNotRejected()
    {
        var text = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 200));

        var embedding = await _generator.GenerateAsync(text, cancellationToken: Token);

        Assert.Equal(384, embedding.Vector.Length);
    }

    [Fact]
    public async Task Generate_OtherDimensions_ThrowsNamingTheOption()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            _generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 768 }, Token));
        Assert.Contains("Dimensions", error.Message);
        Assert.Contains("768", error.Message);
    }

    [Fact]
    public async Task Generate_CancelledToken_Throws()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _generator.GenerateAsync(["x"], cancellationToken: cts.Token));
    }

    [Fact]
    public async Task Generate_StampsCreatedAtFromTheTimeProvider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        using var generator = new MiniLMEmbeddingGenerator(time);

        var embedding = await generator.GenerateAsync("hello", cancellationToken: Token);

        Assert.Equal(time.GetUtcNow(), embedding.CreatedAt);
    }

    [Fact]
    public void GetService_Metadata_Names384Dimensions()
    {
        var metadata = _generator.GetService<EmbeddingGeneratorMetadata>();

        Assert.NotNull(metadata);
        Assert.Equal(384, metadata.DefaultModelDimensions);
        Assert.Equal(MiniLMEmbeddingGenerator.ModelId, metadata.DefaultModelId);
        Assert.Same(_generator, _generator.GetService<MiniLMEmbeddingGenerator>());
    }

    [Fact]
    public async Task AddMiniLMEmbeddingGenerator_RegistersOneSingleton()
    {
        var services = new ServiceCollection().AddMiniLMEmbeddingGenerator().AddMiniLMEmbeddingGenerator();
        Assert.Single(services, d => d.ServiceType == typeof(IEmbeddingGenerator<string, Embedding<float>>));
        await using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        Assert.IsType<MiniLMEmbeddingGenerator>(generator);
        Assert.Same(generator, provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Equal(384, (await generator.GenerateAsync("hi", cancellationToken: Token)).Vector.Length);
    }
}
