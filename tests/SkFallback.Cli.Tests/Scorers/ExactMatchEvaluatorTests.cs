using SkFallback.Cli.Evaluation.Scorers;

namespace SkFallback.Cli.Tests.Scorers;

public sealed class ExactMatchEvaluatorTests
{
    [Theory]
    [InlineData("Paris.", false, true)]
    [InlineData("  Paris.\n", false, true)]
    [InlineData("paris.", false, false)]
    [InlineData("paris.", true, true)]
    [InlineData("Paris", false, false)]
    [InlineData("Paris. It is lovely.", false, false)]
    public async Task EvaluateAsync_Answer_PassesOnlyOnTheSameTrimmedText(string answer, bool ignoreCase, bool expected)
    {
        var metric = await ScorerRun.EvaluateAsync(new ExactMatchEvaluator("Paris.", ignoreCase), answer);

        Assert.Equal(expected, metric.Passed());
        Assert.Equal("exact", metric.Name);
    }

    [Fact]
    public async Task EvaluateAsync_Mismatch_ReasonQuotesBoth()
    {
        var metric = await ScorerRun.EvaluateAsync(new ExactMatchEvaluator("Paris.", false), "Lyon.");

        Assert.Equal("'Lyon.' is not 'Paris.'", metric.Reason);
    }
}
