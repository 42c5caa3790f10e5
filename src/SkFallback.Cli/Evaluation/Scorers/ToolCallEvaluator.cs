using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SkFallback.Cli.Evaluation.Scorers;

/// <summary>
/// Check <c>tool_call</c>: the answer asks for a call of the named function, and every argument listed in
/// <c>arguments</c> has that JSON value (arguments not listed may be anything).
/// </summary>
internal sealed class ToolCallEvaluator(string name, JsonObject? arguments) : IEvaluator
{
    /// <summary>The metric name.</summary>
    public const string MetricName = "tool_call";

    /// <inheritdoc/>
    public IReadOnlyCollection<string> EvaluationMetricNames => [MetricName];

    /// <inheritdoc/>
    public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null, IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        var calls = modelResponse.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        var named = calls.Where(c => string.Equals(c.Name, name, StringComparison.Ordinal)).ToList();
        if (named.Count == 0)
        {
            var seen = calls.Count == 0 ? "no tool call" : "calls to " + string.Join(", ", calls.Select(c => c.Name));
            return ValueTask.FromResult(ScoreMetrics.Boolean(MetricName, false, $"expected a call to {name}, got {seen}"));
        }

        string? mismatch = null;
        foreach (var call in named)
        {
            mismatch = Mismatch(call);
            if (mismatch is null)
            {
                return ValueTask.FromResult(ScoreMetrics.Boolean(MetricName, true, $"calls {name} with the expected arguments"));
            }
        }

        return ValueTask.FromResult(ScoreMetrics.Boolean(MetricName, false, $"calls {name} but {mismatch}"));
    }

    /// <summary>The first expected argument the call lacks or gives another value; <see langword="null"/> when all match.</summary>
    private string? Mismatch(FunctionCallContent call)
    {
        if (arguments is null)
        {
            return null;
        }

        foreach (var (key, expected) in arguments)
        {
            if (call.Arguments is null || !call.Arguments.TryGetValue(key, out var actual))
            {
                return $"argument '{key}' is missing";
            }

            var actualNode = actual switch
            {
                null => null,
                JsonElement element => JsonNode.Parse(element.GetRawText()),
                _ => JsonSerializer.SerializeToNode(actual, actual.GetType()),
            };
            if (!JsonNode.DeepEquals(actualNode, expected))
            {
                return $"argument '{key}' is {actualNode?.ToJsonString() ?? "null"}, not {expected?.ToJsonString() ?? "null"}";
            }
        }

        return null;
    }
}
