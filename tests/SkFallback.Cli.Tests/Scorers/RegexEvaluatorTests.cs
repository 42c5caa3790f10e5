using SkFallback.Cli.Evaluation.Scorers;

namespace SkFallback.Cli.Tests.Scorers;

public sealed class RegexEvaluatorTests
{
    [Theory]
    [InlineData(@"^\d{4}-\d{2}-\d{2}$", "2026-12-04", false, true)]
    [InlineData(@"^\d{4}-\d{2}-\d{2}$", "on 2026-12-04", false, false)]
    [InlineData("^paris", "Paris is nice", true, true)]
    [InlineData("^paris", "Paris is nice", false, false)]
    public async Task EvaluateAsync_Answer_PassesWhenThePatternMatches(string pattern, string answer, bool ignoreCase, bool expected)
    {
        var metric = await ScorerRun.EvaluateAsync(new RegexEvaluator(pattern, ignoreCase), answer);

        Assert.Equal(expected, metric.Passed());
        Assert.Contains(pattern, metric.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateAsync_CatastrophicPattern_FailsWithADiagnosticInsteadOfHanging()
    {
        var metric = await ScorerRun.EvaluateAsync(new RegexEvaluator("^(a+)+$", false), new string('a', 40) + "!");

        Assert.False(metric.Passed());
        Assert.Contains("timed out", metric.Reason, StringComparison.Ordinal);
        Assert.NotEmpty(metric.Diagnostics!);
    }
}
