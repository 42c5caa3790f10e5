using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SkFallback.Cli.Evaluation.Scorers;

/// <summary>Check <c>contains</c>: the answer contains the text (case-insensitive unless <c>ignoreCase</c> is false).</summary>
internal sealed class ContainsEvaluator(string value, bool ignoreCase) : IEvaluator
{
    /// <summary>The metric name.</summary>
    public const string MetricName = "contains";

    /// <inheritdoc/>
    public IReadOnlyCollection<string> EvaluationMetricNames => [MetricName];

    /// <inheritdoc/>
    public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null, IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        var answer = modelResponse.Text;
        var passed = answer.Contains(value, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        var reason = passed ? $"contains {ScoreMetrics.Quote(value)}" : $"{ScoreMetrics.Quote(answer)} does not contain {ScoreMetrics.Quote(value)}";
        return ValueTask.FromResult(ScoreMetrics.Boolean(MetricName, passed, reason));
    }
}
