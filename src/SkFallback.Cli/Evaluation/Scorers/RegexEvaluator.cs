using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SkFallback.Cli.Evaluation.Scorers;

/// <summary>Check <c>regex</c>: the answer matches the pattern (.NET syntax, 1 s match timeout; <c>ignoreCase</c> optional).</summary>
internal sealed class RegexEvaluator(string pattern, bool ignoreCase) : IEvaluator
{
    /// <summary>The metric name.</summary>
    public const string MetricName = "regex";

    private readonly Regex _regex = new(pattern, ignoreCase ? RegexOptions.IgnoreCase | RegexOptions.CultureInvariant : RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <inheritdoc/>
    public IReadOnlyCollection<string> EvaluationMetricNames => [MetricName];

    /// <inheritdoc/>
    public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null, IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        var answer = modelResponse.Text;
        bool passed;
        try
        {
            passed = _regex.IsMatch(answer);
        }
        catch (RegexMatchTimeoutException)
        {
            return ValueTask.FromResult(ScoreMetrics.Error(MetricName, $"the pattern /{pattern}/ timed out on the answer"));
        }

        var reason = passed ? $"matches /{pattern}/" : $"{ScoreMetrics.Quote(answer)} does not match /{pattern}/";
        return ValueTask.FromResult(ScoreMetrics.Boolean(MetricName, passed, reason));
    }
}
