using System.Text.Json.Nodes;
using SkFallback.Cli.Evaluation.Scorers;

namespace SkFallback.Cli.Tests.Scorers;

public sealed class JsonSchemaEvaluatorTests
{
    private static JsonObject Schema() => JsonNode.Parse("""
        {"type":"object","required":["city","population"],
         "properties":{"city":{"type":"string"},"population":{"type":"integer","minimum":0}},"additionalProperties":false}
        """)!.AsObject();

    [Theory]
    [InlineData("""{"city":"Paris","population":2100000}""", true)]
    [InlineData("```json\n{\"city\":\"Paris\",\"population\":1}\n```", true)]
    [InlineData("""{"city":"Paris"}""", false)]
    [InlineData("""{"city":"Paris","population":-1}""", false)]
    [InlineData("""{"city":"Paris","population":1,"extra":true}""", false)]
    [InlineData("Paris has two million people.", false)]
    public async Task EvaluateAsync_Answer_PassesOnlyWhenValidJson(string answer, bool expected)
    {
        var metric = await ScorerRun.EvaluateAsync(new JsonSchemaEvaluator(Schema()), answer);

        Assert.Equal(expected, metric.Passed());
    }

    [Fact]
    public async Task EvaluateAsync_Invalid_ReasonNamesTheFailingKeyword()
    {
        var missing = await ScorerRun.EvaluateAsync(new JsonSchemaEvaluator(Schema()), """{"city":"Paris"}""");
        var notJson = await ScorerRun.EvaluateAsync(new JsonSchemaEvaluator(Schema()), "plain text");

        Assert.Contains("required", missing.Reason, StringComparison.Ordinal);
        Assert.Contains("not JSON", notJson.Reason, StringComparison.Ordinal);
    }
}
