using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;
using SkFallback.Cli.Evaluation.Scorers;
using SkFallback.Embeddings.MiniLM;

namespace SkFallback.Cli.Evaluation;

/// <summary>
/// Scores answers against a case's checks: each check becomes its <see cref="IEvaluator"/>, and each metric's
/// interpretation decides pass or fail. The MiniLM encoder is loaded on the first <c>similarity</c> check only.
/// </summary>
internal sealed class CaseScorer : IDisposable
{
    private readonly Lazy<IEmbeddingGenerator<string, Embedding<float>>> _embeddings;
    private readonly ChatConfiguration? _judge;
    private readonly bool _ownsEmbeddings;

    /// <summary>Initializes a scorer.</summary>
    /// <param name="judge">The judge model for <c>judge</c> checks; <see langword="null"/> fails them with a diagnostic.</param>
    /// <param name="embeddings">The embedding generator for <c>similarity</c>; MiniLM when <see langword="null"/>.</param>
    public CaseScorer(IChatClient? judge, IEmbeddingGenerator<string, Embedding<float>>? embeddings = null)
    {
        _judge = judge is null ? null : new ChatConfiguration(judge);
        _ownsEmbeddings = embeddings is null;
        _embeddings = new Lazy<IEmbeddingGenerator<string, Embedding<float>>>(() => embeddings ?? new MiniLMEmbeddingGenerator(), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Loads the MiniLM encoder now when a case needs it, so its loading does not slow the first calls measured.</summary>
    public async Task PrepareAsync(IReadOnlyList<GoldenCase> cases, CancellationToken cancellationToken)
    {
        if (cases.Any(c => c.Checks.Any(k => k.Type == "similarity")))
        {
            await _embeddings.Value.GenerateAsync(["warm-up"], cancellationToken: cancellationToken);
        }
    }

    /// <summary>Scores one answer to <paramref name="golden"/>; <paramref name="expectedOverride"/> replaces the case's expected text (a primary's answer, say).</summary>
    public async Task<IReadOnlyList<CheckResult>> ScoreAsync(GoldenCase golden, ChatResponse response, CancellationToken cancellationToken, string? expectedOverride = null)
    {
        var expected = expectedOverride ?? golden.Expected;
        var results = new List<CheckResult>(golden.Checks.Count);
        foreach (var check in golden.Checks)
        {
            var evaluator = Create(check, expected);
            var result = await evaluator.EvaluateAsync(golden.Messages, response, _judge, cancellationToken: cancellationToken);
            var metric = result.Metrics.Values.Single();
            results.Add(new CheckResult(check.Type, metric.Interpretation?.Failed == false, Score(metric), metric.Reason ?? string.Empty));
        }

        return results;
    }

    /// <summary>The evaluator of one check (the settings were validated when the set was read).</summary>
    internal IEvaluator Create(CheckSpec check, string? expected) => check.Type switch
    {
        "exact" => new ExactMatchEvaluator(check.String("value", expected)!, check.Flag("ignoreCase", false)),
        "contains" => new ContainsEvaluator(check.String("value", expected)!, check.Flag("ignoreCase", true)),
        "regex" => new RegexEvaluator(check.String("pattern")!, check.Flag("ignoreCase", false)),
        "json_schema" => new JsonSchemaEvaluator((System.Text.Json.Nodes.JsonObject)check.Settings["schema"]!),
        "tool_call" => new ToolCallEvaluator(check.String("name")!, check.Settings["arguments"] as System.Text.Json.Nodes.JsonObject),
        "similarity" => new SimilarityEvaluator(_embeddings.Value, check.String("value", expected)!, check.Number("threshold", 0.8)),
        "judge" => new LlmJudgeEvaluator(check.String("criteria"), check.String("value", expected), (int)check.Number("minScore", 4)),
        _ => throw new InvalidOperationException($"Unknown check type '{check.Type}'."),
    };

    private static double Score(EvaluationMetric metric) => metric switch
    {
        BooleanMetric { Value: true } => 1,
        NumericMetric { Name: LlmJudgeEvaluator.MetricName, Value: { } grade } => (grade - 1) / 4,
        NumericMetric { Value: { } value } => Math.Clamp(value, 0, 1),
        _ => 0,
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsEmbeddings && _embeddings.IsValueCreated)
        {
            _embeddings.Value.Dispose();
        }
    }
}
