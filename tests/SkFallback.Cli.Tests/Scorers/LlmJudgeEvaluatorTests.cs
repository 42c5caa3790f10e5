using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;
using SkFallback.Cli.Evaluation.Scorers;

namespace SkFallback.Cli.Tests.Scorers;

public sealed class LlmJudgeEvaluatorTests
{
    [Theory]
    [InlineData("""{"score": 5, "reason": "correct"}""", 4, true, 5)]
    [InlineData("""```json\n{"score": 3, "reason": "partly"}\n```""", 4, false, 3)]
    [InlineData("""Sure! {"score": 4, "reason": "fine"}""", 4, true, 4)]
    [InlineData("Score: 2", 2, true, 2)]
    public async Task EvaluateAsync_JudgeReply_ScoresAndGates(string reply, int minScore, bool expected, int score)
    {
        var judge = new ScriptedJudge(reply);

        var metric = await ScorerRun.EvaluateAsync(new LlmJudgeEvaluator("Names the capital.", "Paris", minScore), "Paris.", judge);

        Assert.Equal(expected, metric.Passed());
        Assert.Equal(score, ((NumericMetric)metric).Value);
        var prompt = Assert.Single(judge.Prompts);
        Assert.Contains("Names the capital.", prompt, StringComparison.Ordinal);
        Assert.Contains("Reference answer: Paris", prompt, StringComparison.Ordinal);
        Assert.EndsWith("Paris.", prompt, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("I think it is good.")]
    [InlineData("""{"score": 9}""")]
    public async Task EvaluateAsync_ReplyWithoutScore_FailsWithADiagnostic(string reply)
    {
        var metric = await ScorerRun.EvaluateAsync(new LlmJudgeEvaluator(null, null, 4), "Paris.", new ScriptedJudge(reply));

        Assert.False(metric.Passed());
        Assert.Contains("no score", metric.Reason, StringComparison.Ordinal);
        Assert.Contains(metric.Diagnostics!, d => d.Severity == EvaluationDiagnosticSeverity.Error);
    }

    [Fact]
    public async Task EvaluateAsync_NoJudge_FailsNamingTheOption()
    {
        var metric = await ScorerRun.EvaluateAsync(new LlmJudgeEvaluator(null, null, 4), "Paris.");

        Assert.False(metric.Passed());
        Assert.Contains("--judge", metric.Reason, StringComparison.Ordinal);
    }

    /// <summary>A judge that always replies the same and keeps the prompts it was given.</summary>
    private sealed class ScriptedJudge(string reply) : IChatClient
    {
        public List<string> Prompts { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            Assert.Equal(ChatRole.System, list[0].Role);
            Prompts.Add(list[^1].Text);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply)));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
