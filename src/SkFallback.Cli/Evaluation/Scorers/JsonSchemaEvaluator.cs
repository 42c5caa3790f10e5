using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SkFallback.Cli.Evaluation.Scorers;

/// <summary>
/// Check <c>json_schema</c>: the answer is JSON (a Markdown code fence around it is allowed) valid against the schema;
/// the reason names the first failing locations.
/// </summary>
internal sealed class JsonSchemaEvaluator(JsonObject schema) : IEvaluator
{
    /// <summary>The metric name.</summary>
    public const string MetricName = "json_schema";

    private readonly JsonSchema _schema = JsonSchema.Build(JsonSerializer.SerializeToElement(schema));

    /// <inheritdoc/>
    public IReadOnlyCollection<string> EvaluationMetricNames => [MetricName];

    /// <inheritdoc/>
    public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null, IEnumerable<Microsoft.Extensions.AI.Evaluation.EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        var text = Unfence(modelResponse.Text);
        JsonElement instance;
        try
        {
            using var document = JsonDocument.Parse(text);
            instance = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            return ValueTask.FromResult(ScoreMetrics.Boolean(MetricName, false, $"the answer is not JSON ({exception.Message})"));
        }

        var results = _schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var reason = results.IsValid ? "valid against the schema" : "invalid: " + string.Join("; ", Errors(results).Take(3));
        return ValueTask.FromResult(ScoreMetrics.Boolean(MetricName, results.IsValid, reason));
    }

    /// <summary>The answer without a surrounding <c>```json</c> fence.</summary>
    internal static string Unfence(string text)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith("```", StringComparison.Ordinal))
        {
            return trimmed;
        }

        var firstLine = trimmed.IndexOf('\n', StringComparison.Ordinal);
        var end = trimmed.LastIndexOf("```", StringComparison.Ordinal);
        return firstLine > 0 && end > firstLine ? trimmed[(firstLine + 1)..end].Trim() : trimmed;
    }

    private static IEnumerable<string> Errors(EvaluationResults results)
    {
        if (results.Errors is { } errors)
        {
            foreach (var (keyword, message) in errors)
            {
                yield return $"{(results.InstanceLocation.ToString() is { Length: > 0 } at ? at : "/")} {keyword}: {message}";
            }
        }

        foreach (var detail in results.Details ?? [])
        {
            foreach (var error in Errors(detail))
            {
                yield return error;
            }
        }
    }
}
