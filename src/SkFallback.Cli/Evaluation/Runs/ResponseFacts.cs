using Microsoft.Extensions.AI;

namespace SkFallback.Cli.Evaluation.Runs;

/// <summary>Reads what a chain's response says about itself: who answered, the pinned model, cost and usage.</summary>
internal static class ResponseFacts
{
    /// <summary>The result of a scored answer.</summary>
    public static CaseResult ToResult(string target, GoldenCase golden, ChatResponse response, double latencyMs, IReadOnlyList<CheckResult> checks) => new()
    {
        Target = target,
        CaseId = golden.Id,
        Tags = golden.Tags,
        Passed = checks.All(c => c.Passed),
        Score = checks.Count == 0 ? 0 : Math.Round(checks.Average(c => c.Score), 4),
        Answer = Answer(response),
        Provider = Metadata<string>(response, FallbackMetadataKeys.Provider),
        Model = response.ModelId ?? Metadata<string>(response, FallbackMetadataKeys.Model),
        LatencyMs = Math.Round(latencyMs, 2),
        CostUsd = Metadata<decimal?>(response, FallbackMetadataKeys.CostUsd),
        InputTokens = response.Usage?.InputTokenCount,
        OutputTokens = response.Usage?.OutputTokenCount,
        Checks = checks,
    };

    /// <summary>The answer's text, or its tool calls written as <c>name(arguments)</c> when it has no text.</summary>
    public static string Answer(ChatResponse response)
    {
        if (response.Text.Length > 0)
        {
            return response.Text;
        }

        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()
            .Select(c => c.Name + "(" + System.Text.Json.JsonSerializer.Serialize(c.Arguments) + ")");
        return string.Join("; ", calls);
    }

    private static T? Metadata<T>(ChatResponse response, string key) =>
        response.AdditionalProperties?.TryGetValue(key, out var value) == true && value is T typed ? typed : default;
}
