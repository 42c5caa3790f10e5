using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SkFallback.Cli.Evaluation.Scorers;

/// <summary>
/// Check <c>judge</c>: a model (the <see cref="ChatConfiguration"/>'s client) grades the answer from 1 to 5 against
/// the case's criteria and expected answer, replying <c>{"score":n,"reason":"..."}</c>; it passes at <c>minScore</c>
/// (4 unless set). A reply without a score in 1–5 fails with an error diagnostic rather than guessing.
/// </summary>
internal sealed partial class LlmJudgeEvaluator(string? criteria, string? expected, int minScore) : IEvaluator
{
    /// <summary>The metric name.</summary>
    public const string MetricName = "judge";

    /// <summary>The instructions the judge model gets.</summary>
    internal const string Instructions =
        "You grade an AI assistant's answer. Score it from 1 (wrong or unusable) to 5 (fully correct and complete) against the "
        + "criteria and the reference answer when one is given. Reply with JSON only: {\"score\": <1-5>, \"reason\": \"<one sentence>\"}.";

    /// <inheritdoc/>
    public IReadOnlyCollection<string> EvaluationMetricNames => [MetricName];

    /// <inheritdoc/>
    public async ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null, IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        if (chatConfiguration?.ChatClient is not { } judge)
        {
            return ScoreMetrics.Error(MetricName, "no judge model: pass --judge <provider>");
        }

        var prompt = Prompt(messages, modelResponse.Text);
        var reply = await judge.GetResponseAsync(
            [new ChatMessage(ChatRole.System, Instructions), new ChatMessage(ChatRole.User, prompt)],
            new ChatOptions { Temperature = 0 },
            cancellationToken);
        if (Parse(reply.Text) is not { } verdict)
        {
            return ScoreMetrics.Error(MetricName, $"the judge's reply has no score from 1 to 5: {ScoreMetrics.Quote(reply.Text)}");
        }

        var reason = string.Create(CultureInfo.InvariantCulture, $"judge {verdict.Score}/5 (pass at {minScore}): {verdict.Reason}");
        return ScoreMetrics.Numeric(MetricName, verdict.Score, minScore, reason);
    }

    private string Prompt(IEnumerable<ChatMessage> messages, string answer)
    {
        var builder = new StringBuilder();
        builder.Append("Conversation:\n");
        foreach (var message in messages)
        {
            builder.Append(message.Role.Value).Append(": ").Append(message.Text).Append('\n');
        }

        builder.Append("\nCriteria: ").Append(criteria ?? "The answer is correct, relevant and complete.").Append('\n');
        if (expected is not null)
        {
            builder.Append("Reference answer: ").Append(expected).Append('\n');
        }

        return builder.Append("\nAnswer to grade:\n").Append(answer).ToString();
    }

    /// <summary>The score and reason of the judge's reply: its JSON, or else a lone "score: n".</summary>
    internal static (int Score, string Reason)? Parse(string reply)
    {
        var text = JsonSchemaEvaluator.Unfence(reply);
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start >= 0 && end > start)
        {
            try
            {
                using var document = JsonDocument.Parse(text[start..(end + 1)]);
                var root = document.RootElement;
                if (root.TryGetProperty("score", out var score) && score.TryGetDouble(out var value) && value is >= 1 and <= 5)
                {
                    var reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : string.Empty;
                    return ((int)Math.Round(value), reason);
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: try the plain form below.
            }
        }

        var match = ScorePattern().Match(text);
        return match.Success ? (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), string.Empty) : null;
    }

    [GeneratedRegex(@"score\W{0,3}([1-5])\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ScorePattern();
}
