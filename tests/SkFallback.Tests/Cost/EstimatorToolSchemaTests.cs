using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Cost;

namespace SkFallback.Tests.Cost;

/// <summary>Tool schemas outside the shapes the cookbook's method covers are counted by the documented fallback.</summary>
public class EstimatorToolSchemaTests
{
    private const string Model = "gpt-4o-2024-08-06";
    private const TokenizerFamily O = TokenizerFamily.OpenAIO200k;

    private static readonly List<ChatMessage> Messages = [new(ChatRole.User, "Go.")];

    [Fact]
    public void Estimate_TypeList_JoinsTypes()
    {
        var tool = Declaration("""{"type":"object","properties":{"note":{"type":["string","null"],"description":"An optional note."}}}""");

        Assert.Equal(Function("f:Does f") + 3 + 3 + Count("note:string | null:An optional note") + 12, ToolTokens(tool));
    }

    [Fact]
    public void Estimate_PropertyWithoutType_CountsItsJson()
    {
        const string property = """{"anyOf":[{"type":"string"},{"type":"integer"}],"description":"An id"}""";
        var tool = Declaration("""{"type":"object","properties":{"id":""" + property + "}}");

        Assert.Equal(Function("f:Does f") + 3 + 3 + Count("id:" + property) + 12, ToolTokens(tool));
    }

    [Fact]
    public void Estimate_NestedObjectAndArrayItems_CountNestedProperties()
    {
        var tool = Declaration("""
            {"type":"object","properties":{
              "address":{"type":"object","description":"Where","properties":{"city":{"type":"string","description":"City"},"zip":{"type":"string"}}},
              "lines":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string","description":"Item code."}}}}
            }}
            """);

        var address = 3 + Count("address:object:Where") + 3 + (3 + Count("city:string:City")) + (3 + Count("zip:string"));
        var lines = 3 + Count("lines:array") + 3 + (3 + Count("sku:string:Item code"));
        Assert.Equal(Function("f:Does f") + 3 + address + lines + 12, ToolTokens(tool));
    }

    [Theory]
    [InlineData("""{"type":"object"}""")]
    [InlineData("""{"type":"object","properties":{}}""")]
    [InlineData("""{"type":"object","properties":{},"required":[],"additionalProperties":false,"$schema":"https://json-schema.org/draft/2020-12/schema"}""")]
    public void Estimate_NoProperties_CountsBareFunction(string schema) =>
        Assert.Equal(Function("f:Does f") + 12, ToolTokens(Declaration(schema)));

    [Fact]
    public void Estimate_SchemaWithoutPropertiesButOtherKeywords_CountsItsJson()
    {
        const string schema = """{"type":"object","anyOf":[{"required":["a"]},{"required":["b"]}]}""";

        Assert.Equal(Function("f:Does f") + Count(schema) + 12, ToolTokens(Declaration(schema)));
    }

    [Fact]
    public void Estimate_EnumOfNumbers_CountsRawItems()
    {
        var tool = Declaration("""{"type":"object","properties":{"level":{"type":"integer","description":"Level","enum":[1,2,30]}}}""");

        var level = 3 + -3 + (3 + Count("1")) + (3 + Count("2")) + (3 + Count("30")) + Count("level:integer:Level");
        Assert.Equal(Function("f:Does f") + 3 + level + 12, ToolTokens(tool));
    }

    [Fact]
    public void Estimate_OnlyFinalPeriodOfDescriptionDropped()
    {
        var tool = AIFunctionFactory.CreateDeclaration("f", "Does f...", Parse("""{"type":"object"}"""));

        Assert.Equal(7 + Count("f:Does f..") + 12, ToolTokens(tool));
    }

    [Fact]
    public void Estimate_HostedTool_CountsFlatWithoutFunctionEnd()
    {
        var hosted = new HostedWebSearchTool();
        var expected = TokenEstimator.TokensPerTool + Count(hosted.Name) + (string.IsNullOrEmpty(hosted.Description) ? 0 : Count(hosted.Description));

        Assert.Equal(expected, ToolTokens(hosted));
    }

    [Fact]
    public void Estimate_Cl100kFamily_UsesTenPerFunction()
    {
        var tool = Declaration("""{"type":"object","properties":{"q":{"type":"string","description":"Query"}}}""");
        var estimator = new TokenEstimator();
        var c = TokenizerFamily.OpenAICl100k;

        var tokens = estimator.EstimatePromptTokens("gpt-4-0613", Messages, new ChatOptions { Tools = [tool] }) - estimator.EstimatePromptTokens("gpt-4-0613", Messages);

        Assert.Equal(10 + TokenEstimator.CountText(c, "f:Does f") + 3 + 3 + TokenEstimator.CountText(c, "q:string:Query") + 12, tokens);
    }

    [Fact]
    public void Estimate_SameToolBothEncodings_CountedPerEncoding()
    {
        // The per-tool cache keeps one count per encoding: counting for o200k first must not leak into a cl100k estimate.
        var tool = Declaration("""{"type":"object","properties":{"q":{"type":"string","description":"東京の天気"}}}""");
        var estimator = new TokenEstimator();
        var options = new ChatOptions { Tools = [tool] };

        var o200k = estimator.CountPromptTokens(O, Messages, options);
        var cl100k = estimator.CountPromptTokens(TokenizerFamily.OpenAICl100k, Messages, options);

        Assert.Equal(o200k, new TokenEstimator().CountPromptTokens(O, Messages, options));
        Assert.Equal(cl100k, new TokenEstimator().CountPromptTokens(TokenizerFamily.OpenAICl100k, Messages, options));
        Assert.NotEqual(o200k, cl100k);
    }

    private static int Count(string text) => TokenEstimator.CountText(O, text);

    private static int Function(string line) => 7 + Count(line);

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static AIFunctionDeclaration Declaration(string schema) => AIFunctionFactory.CreateDeclaration("f", "Does f.", Parse(schema));

    private static int ToolTokens(AITool tool)
    {
        var estimator = new TokenEstimator();
        return estimator.EstimatePromptTokens(Model, Messages, new ChatOptions { Tools = [tool] }) - estimator.EstimatePromptTokens(Model, Messages);
    }
}
