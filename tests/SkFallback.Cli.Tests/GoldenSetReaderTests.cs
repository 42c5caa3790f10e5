using Microsoft.Extensions.AI;
using SkFallback.Cli.Evaluation;

namespace SkFallback.Cli.Tests;

public sealed class GoldenSetReaderTests
{
    [Fact]
    public void Read_FullCase_ReadsMessagesChecksTagsAndTools()
    {
        var cases = GoldenSetReader.Read("""
            // a comment line
            {"id":"w","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"}],"checks":[{"type":"tool_call","name":"get_weather"}],"tags":["tools","fr"],"tools":[{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}

            {"prompt":"Capital of France?","expected":"Paris."}
            """, "set.jsonl");

        Assert.Equal(2, cases.Count);
        Assert.Equal([ChatRole.System, ChatRole.User], cases[0].Messages.Select(m => m.Role));
        Assert.Equal("Weather in Paris?", cases[0].LastUserText);
        Assert.Equal(["tools", "fr"], cases[0].Tags);
        Assert.Equal("get_weather", Assert.IsType<AIFunctionDeclaration>(Assert.Single(cases[0].Tools), exactMatch: false).Name);
        Assert.Equal("4", cases[1].Id);
        Assert.Equal("exact", Assert.Single(cases[1].Checks).Type);
    }

    [Theory]
    [InlineData("""{"prompt":"x"}""", "set.jsonl:1: a case needs \"expected\" or \"checks\"")]
    [InlineData("""{"expected":"x"}""", "set.jsonl:1: a case needs \"messages\"")]
    [InlineData("""{"prompt":"x","checks":[{"type":"fuzzy"}]}""", "set.jsonl:1: checks[0] needs \"type\", one of exact, contains")]
    [InlineData("""{"prompt":"x","checks":[{"type":"contains"}]}""", "set.jsonl:1: checks[0]: \"contains\" needs \"value\"")]
    [InlineData("""{"prompt":"x","checks":[{"type":"regex","pattern":"[a"}]}""", "set.jsonl:1: checks[0]: \"pattern\" is not a valid regular expression")]
    [InlineData("""{"prompt":"x","checks":[{"type":"json_schema"}]}""", "needs \"schema\"")]
    [InlineData("""{"prompt":"x","checks":[{"type":"tool_call"}]}""", "needs \"name\"")]
    [InlineData("""{"prompt":"x","expected":"y","checks":[{"type":"similarity","threshold":2}]}""", "\"threshold\" must be between -1 and 1")]
    [InlineData("""{"prompt":"x","checks":[{"type":"judge","minScore":6}]}""", "\"minScore\" must be between 1 and 5")]
    [InlineData("""{"messages":[{"role":"robot","content":"x"}],"expected":"y"}""", "set.jsonl:1: messages[0] needs \"role\"")]
    [InlineData("""{"prompt":1,"expected":"y"}""", "\"prompt\" must be a string")]
    [InlineData("not json", "set.jsonl:1: not JSON")]
    [InlineData("", "set.jsonl: the set holds no case")]
    public void Read_BadCase_NamesLineAndField(string line, string message)
    {
        var exception = Assert.Throws<GoldenSetFormatException>(() => GoldenSetReader.Read(line, "set.jsonl"));

        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuplicateId_NamesTheSecondLine()
    {
        var exception = Assert.Throws<GoldenSetFormatException>(() => GoldenSetReader.Read("""
            {"id":"a","prompt":"x","expected":"y"}
            {"id":"a","prompt":"z","expected":"y"}
            """, "set.jsonl"));

        Assert.StartsWith("set.jsonl:2: id 'a'", exception.Message, StringComparison.Ordinal);
    }
}
