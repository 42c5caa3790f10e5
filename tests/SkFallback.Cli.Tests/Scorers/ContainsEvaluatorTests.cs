using SkFallback.Cli.Evaluation.Scorers;

namespace SkFallback.Cli.Tests.Scorers;

public sealed class ContainsEvaluatorTests
{
    [Theory]
    [InlineData("The capital is Paris.", true, true)]
    [InlineData("the capital is PARIS.", true, true)]
    [InlineData("the capital is PARIS.", false, false)]
    [InlineData("The capital is Lyon.", true, false)]
    [InlineData("", true, false)]
    public async Task EvaluateAsync_Answer_PassesWhenTheTextIsInIt(string answer, bool ignoreCase, bool expected)
    {
        var metric = await ScorerRun.EvaluateAsync(new ContainsEvaluator("Paris", ignoreCase), answer);

        Assert.Equal(expected, metric.Passed());
        Assert.Equal("contains", metric.Name);
    }
}
