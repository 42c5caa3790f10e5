using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;

namespace SkFallback.Tests.Diagnostics;

/// <summary>Opted-in message content in the GenAI conventions' shape: text, tool calls and results, other parts by type only, keys masked.</summary>
public class MessageContentTests
{
    private const string Key = "sk-live-0123456789abcdefghij";

    [Fact]
    public void Serialize_ToolLoop_PartsInTheConventionsShapeAndKeysMasked()
    {
        ChatMessage[] messages =
        [
            new(ChatRole.System, $"Never say {Key}."),
            new(ChatRole.User, [new TextContent("Weather in Oslo?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo", ["days"] = 2 })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "4 °C, rain")]),
        ];

        var json = MessageContent.Serialize(messages, ChatFinishReason.ToolCalls, new SecretRedactor([Key]));

        Assert.DoesNotContain(Key, json, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json);
        var all = document.RootElement.EnumerateArray().ToArray();
        Assert.Equal(["system", "user", "assistant", "tool"], all.Select(m => m.GetProperty("role").GetString()));
        Assert.All(all, m => Assert.Equal("tool_calls", m.GetProperty("finish_reason").GetString()));
        var user = all[1].GetProperty("parts").EnumerateArray().ToArray();
        Assert.Equal("text", user[0].GetProperty("type").GetString());
        Assert.Equal("Weather in Oslo?", user[0].GetProperty("content").GetString());
        Assert.Equal("DataContent", user[1].GetProperty("type").GetString());
        Assert.False(user[1].TryGetProperty("content", out _));
        var call = Assert.Single(all[2].GetProperty("parts").EnumerateArray());
        Assert.Equal("tool_call", call.GetProperty("type").GetString());
        Assert.Equal("call_1", call.GetProperty("id").GetString());
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("Oslo", call.GetProperty("arguments").GetProperty("city").GetString());
        Assert.Equal(2, call.GetProperty("arguments").GetProperty("days").GetInt32());
        var result = Assert.Single(all[3].GetProperty("parts").EnumerateArray());
        Assert.Equal("tool_call_response", result.GetProperty("type").GetString());
        Assert.Equal("4 °C, rain", result.GetProperty("response").GetString());
    }

    [Fact]
    public void Serialize_AnArgumentJsonCannotWrite_GivesAnEmptyArrayInsteadOfFailing()
    {
        ChatMessage[] messages = [new(ChatRole.Assistant, [new FunctionCallContent("c", "f", new Dictionary<string, object?> { ["bad"] = new Action(() => { }) })])];

        Assert.Equal("[]", MessageContent.Serialize(messages, null, new SecretRedactor([])));
    }
}
