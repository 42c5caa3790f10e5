using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;
using SkFallback.Cli.Evaluation.Scorers;
using SkFallback.Embeddings.MiniLM;

namespace SkFallback.Cli.Tests.Scorers;

public sealed class SimilarityEvaluatorTests
{
    [Fact]
    public async Task EvaluateAsync_MiniLM_ParaphrasePassesAndUnrelatedFails()
    {
        using var embeddings = new MiniLMEmbeddingGenerator();
        var evaluator = new SimilarityEvaluator(embeddings, "Paris is the capital of France.", 0.8);

        var paraphrase = await ScorerRun.EvaluateAsync(evaluator, "The capital of France is Paris.");
        var unrelated = await ScorerRun.EvaluateAsync(evaluator, "Bananas are rich in potassium.");

        Assert.True(paraphrase.Passed(), paraphrase.Reason);
        Assert.False(unrelated.Passed(), unrelated.Reason);
        Assert.True(((NumericMetric)paraphrase).Value > 0.8);
        Assert.True(((NumericMetric)unrelated).Value < 0.5);
    }

    [Theory]
    [InlineData(0.6, true)]
    [InlineData(0.61, false)]
    public async Task EvaluateAsync_Threshold_PassesAtOrAboveIt(double threshold, bool expected)
    {
        // Vectors (1, 0) and (0.6, 0.8): cosine 0.6 exactly.
        var metric = await ScorerRun.EvaluateAsync(new SimilarityEvaluator(new FixedEmbeddings(), "expected", threshold), "answer");

        Assert.Equal(expected, metric.Passed());
        Assert.Equal(0.6, ((NumericMetric)metric).Value!.Value, 3);
    }

    [Fact]
    public async Task EvaluateAsync_EmptyAnswer_FailsWithoutEmbedding()
    {
        var metric = await ScorerRun.EvaluateAsync(new SimilarityEvaluator(new FixedEmbeddings(), "expected", 0.1), string.Empty);

        Assert.False(metric.Passed());
    }

    private sealed class FixedEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(v == "answer" ? new float[] { 0.6f, 0.8f } : new float[] { 1f, 0f }))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
