using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SkFallback.Cli.Tests.Scorers;

/// <summary>Runs one evaluator on one answer and reads its single metric.</summary>
internal static class ScorerRun
{
    public static async Task<EvaluationMetric> EvaluateAsync(IEvaluator evaluator, ChatResponse response, IChatClient? judge = null)
    {
        var result = await evaluator.EvaluateAsync(
            [new ChatMessage(ChatRole.User, "question")], response, judge is null ? null : new ChatConfiguration(judge), cancellationToken: TestContext.Current.CancellationToken);
        return Assert.Single(result.Metrics.Values);
    }

    public static Task<EvaluationMetric> EvaluateAsync(IEvaluator evaluator, string answer, IChatClient? judge = null) =>
        EvaluateAsync(evaluator, new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)), judge);

    public static bool Passed(this EvaluationMetric metric) => metric.Interpretation?.Failed == false;
}
