using Microsoft.Extensions.AI.Evaluation;

namespace SkFallback.Cli.Evaluation.Scorers;

/// <summary>Builds the metrics the scorers return, interpreted once here: failed or not, with the reason.</summary>
internal static class ScoreMetrics
{
    /// <summary>A pass/fail metric.</summary>
    public static EvaluationResult Boolean(string name, bool passed, string reason)
    {
        var metric = new BooleanMetric(name, passed, reason)
        {
            Interpretation = new EvaluationMetricInterpretation(passed ? EvaluationRating.Exceptional : EvaluationRating.Unacceptable, failed: !passed, reason),
        };
        return new EvaluationResult(metric);
    }

    /// <summary>A numeric metric that passes at or above <paramref name="threshold"/>.</summary>
    public static EvaluationResult Numeric(string name, double value, double threshold, string reason)
    {
        var passed = value >= threshold;
        var metric = new NumericMetric(name, value, reason)
        {
            Interpretation = new EvaluationMetricInterpretation(passed ? EvaluationRating.Good : EvaluationRating.Unacceptable, failed: !passed, reason),
        };
        return new EvaluationResult(metric);
    }

    /// <summary>A metric that could not be computed (no judge, an embedding failure): it fails, with an error diagnostic.</summary>
    public static EvaluationResult Error(string name, string message)
    {
        var metric = new BooleanMetric(name, false, message)
        {
            Interpretation = new EvaluationMetricInterpretation(EvaluationRating.Inconclusive, failed: true, message),
        };
        metric.AddDiagnostics(EvaluationDiagnostic.Error(message));
        return new EvaluationResult(metric);
    }

    /// <summary>A shortened quote of an answer for a reason.</summary>
    public static string Quote(string text) => text.Length <= 80 ? "'" + text + "'" : "'" + text[..77] + "...'";
}
