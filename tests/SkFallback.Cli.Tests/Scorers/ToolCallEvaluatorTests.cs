using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using SkFallback.Cli.Evaluation.Scorers;

namespace SkFallback.Cli.Tests.Scorers;

public sealed class ToolCallEvaluatorTests
{
    private static ChatResponse Calls(params (string Name, string Arguments)[] calls) => new(new ChatMessage(
        ChatRole.Assistant,
        [.. calls.Select((c, i) => (AIContent)new FunctionCallContent("call" + i, c.Name, JsonSerializer.Deserialize<Dictionary<string, object?>>(c.Arguments)))]));

    private static JsonObject Args(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public async Task EvaluateAsync_ExpectedCallAndArguments_Passes()
    {
        var metric = await ScorerRun.EvaluateAsync(new ToolCallEvaluator("get_weather", Args("""{"city":"Paris"}""")), Calls(("get_weather", """{"city":"Paris","unit":"c"}""")));

        Assert.True(metric.Passed(), metric.Reason);
    }

    [Fact]
    public async Task EvaluateAsync_NameOnly_PassesWithAnyArguments()
    {
        var metric = await ScorerRun.EvaluateAsync(new ToolCallEvaluator("get_weather", null), Calls(("get_weather", """{"city":"Rome"}""")));

        Assert.True(metric.Passed());
    }

    [Fact]
    public async Task EvaluateAsync_SecondCallMatches_Passes()
    {
        var metric = await ScorerRun.EvaluateAsync(new ToolCallEvaluator("get_weather", Args("""{"city":"Paris","days":3}""")), Calls(("get_weather", """{"city":"Rome","days":3}"""), ("get_weather", """{"city":"Paris","days":3}""")));

        Assert.True(metric.Passed());
    }

    [Theory]
    [InlineData("get_time", """{"city":"Paris"}""", "got calls to get_time")]
    [InlineData("get_weather", """{"city":"Lyon"}""", "argument 'city' is \"Lyon\", not \"Paris\"")]
    [InlineData("get_weather", """{"town":"Paris"}""", "argument 'city' is missing")]
    public async Task EvaluateAsync_WrongCall_FailsSayingWhy(string name, string arguments, string reason)
    {
        var metric = await ScorerRun.EvaluateAsync(new ToolCallEvaluator("get_weather", Args("""{"city":"Paris"}""")), Calls((name, arguments)));

        Assert.False(metric.Passed());
        Assert.Contains(reason, metric.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateAsync_TextAnswer_FailsWithNoToolCall()
    {
        var metric = await ScorerRun.EvaluateAsync(new ToolCallEvaluator("get_weather", null), "It is sunny.");

        Assert.False(metric.Passed());
        Assert.Contains("no tool call", metric.Reason, StringComparison.Ordinal);
    }
}
