using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SkFallback.Cli.Evaluation.Scorers;

/// <summary>Check <c>exact</c>: the answer, trimmed, equals the expected text (case-sensitive unless <c>ignoreCase</c>).</summary>
internal sealed class ExactMatchEvaluator(string expected, bool ignoreCase) : IEvaluator
{
    /// <summary>The metric name.</summary>
    public const string MetricName = "exact";

    /// <inheritdoc/>
    public IReadOnlyCollection<string> EvaluationMetricNames => [MetricName];

    /// <inheritdoc/>
    public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null, IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        var answer = modelResponse.Text.Trim();
        var passed = string.Equals(answer, expected.Trim(), ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        var reason = passed ? "matches the expected answer" : $"{ScoreMetrics.Quote(answer)} is not {ScoreMetrics.Quote(expected.Trim())}";
        return ValueTask.FromResult(ScoreMetrics.Boolean(MetricName, passed, reason));
    }
}
