using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SkFallback.Cli.Evaluation.Scorers;

/// <summary>
/// Check <c>similarity</c>: the cosine similarity of the answer's and the expected text's embeddings (MiniLM by
/// default) is at least <c>threshold</c> (0.8 unless set). The metric's value is the similarity.
/// </summary>
internal sealed class SimilarityEvaluator(IEmbeddingGenerator<string, Embedding<float>> embeddings, string expected, double threshold) : IEvaluator
{
    /// <summary>The metric name.</summary>
    public const string MetricName = "similarity";

    /// <inheritdoc/>
    public IReadOnlyCollection<string> EvaluationMetricNames => [MetricName];

    /// <inheritdoc/>
    public async ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null, IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        var answer = modelResponse.Text;
        if (answer.Length == 0)
        {
            return ScoreMetrics.Numeric(MetricName, 0, threshold, "the answer has no text");
        }

        var vectors = await embeddings.GenerateAsync([answer, expected], cancellationToken: cancellationToken);
        var similarity = Math.Round(TensorPrimitives.CosineSimilarity(vectors[0].Vector.Span, vectors[1].Vector.Span), 4);
        var reason = string.Create(CultureInfo.InvariantCulture, $"cosine {similarity:0.###} against {ScoreMetrics.Quote(expected)} (threshold {threshold:0.###})");
        return ScoreMetrics.Numeric(MetricName, similarity, threshold, reason);
    }
}
