using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace SkFallback.Proxy.Tests;

/// <summary>Bad requests get the wire's error JSON naming what is wrong; nothing reaches a provider.</summary>
public sealed class BadInputTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public BadInputTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(int Status, JsonNode Error, string Body)> PostAsync(string body, string path = "v1/chat/completions")
    {
        using var http = _fixture.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFixture.Key);
        using var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return ((int)response.StatusCode, JsonNode.Parse(text)!["error"]!, text);
    }

    public static TheoryData<string, string?, string> Invalid() => new()
    {
        { """{"model":"main","messages":[]}""", "messages", "empty_array" },
        { """{"model":"main"}""", "messages", "missing_required_parameter" },
        { """{"messages":[{"role":"user","content":"hi"}]}""", "model", "missing_required_parameter" },
        { """{"model":"main","n":3,"messages":[{"role":"user","content":"hi"}]}""", "n", "unsupported_parameter" },
        { """{"model":"main","temperature":"hot","messages":[{"role":"user","content":"hi"}]}""", "temperature", "invalid_type" },
        { """{"model":"main","temperature":7,"messages":[{"role":"user","content":"hi"}]}""", "temperature", "invalid_value" },
        { """{"model":"main","messages":"hi"}""", "messages", "invalid_type" },
        { """{"model":42,"messages":[{"role":"user","content":"hi"}]}""", "model", "invalid_type" },
        { """{"model":"main","stream":"yes","messages":[{"role":"user","content":"hi"}]}""", "stream", "invalid_type" },
        { """{"model":"main","messages":[{"role":"robot","content":"hi"}]}""", "messages[0].role", "invalid_value" },
        { """{"model":"main","messages":[{"role":"user","content":"hi"},{"role":"tool","content":"x"}]}""", "messages[1].tool_call_id", "missing_required_parameter" },
        { """{"model":"main","messages":[{"role":"user","content":[{"type":"text","text":7}]}]}""", "messages[0].content[0].text", "invalid_type" },
        { """{"model":"main","logprobs":true,"messages":[{"role":"user","content":"hi"}]}""", "logprobs", "unsupported_parameter" },
        { """{"model":"main","audio":{"voice":"alloy"},"messages":[{"role":"user","content":"hi"}]}""", "audio", "unsupported_parameter" },
        { """{"model":"main","frobnicate":1,"messages":[{"role":"user","content":"hi"}]}""", "frobnicate", "unknown_parameter" },
        { """{"model":"main","tools":[{"type":"web_search"}],"messages":[{"role":"user","content":"hi"}]}""", "tools[0].type", "unsupported_parameter" },
        { """{"model":"main","tool_choice":"required","messages":[{"role":"user","content":"hi"}]}""", "tool_choice", "invalid_value" },
        { """{"model":"main","response_format":{"type":"xml"},"messages":[{"role":"user","content":"hi"}]}""", "response_format.type", "invalid_value" },
        { """{"model":"main","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""", "stream_options", "invalid_value" },
        { """{"model":"main","stop":["a","b","c","d","e"],"messages":[{"role":"user","content":"hi"}]}""", "stop", "array_above_max_length" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task ChatCompletions_InvalidParameter_400NamingIt(string body, string? param, string code)
    {
        var (status, error, _) = await PostAsync(body);

        Assert.Equal(400, status);
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal(param, error["param"]?.GetValue<string>());
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.Empty(_fixture.Simulator.Requests);
    }

    [Theory]
    [InlineData("""{"model":"main","messages":[{"role":"user","content":"hi"}""", 1)]
    [InlineData("{\n  \"model\": \"main\",\n  \"messages\": [ oops ]\n}", 3)]
    [InlineData("", 0)]
    [InlineData("[1,2]", 0)]
    public async Task ChatCompletions_MalformedJson_400SayingWhere(string body, int line)
    {
        var (status, error, _) = await PostAsync(body);

        Assert.Equal(400, status);
        Assert.Equal("invalid_json", error["code"]!.GetValue<string>());
        if (line > 0)
        {
            Assert.Contains($"line {line}", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ChatCompletions_UnknownModel_404ModelNotFound()
    {
        var (status, error, _) = await PostAsync("""{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(404, status);
        Assert.Equal("model_not_found", error["code"]!.GetValue<string>());
        Assert.Equal("model", error["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task ChatCompletions_BodyOverTheLimit_413()
    {
        var huge = "{\"model\":\"main\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 5 * 1024 * 1024) + "\"}]}";

        var (status, error, _) = await PostAsync(huge);

        Assert.Equal(413, status);
        Assert.Equal("request_too_large", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownPath_404JsonNotHtml()
    {
        var (status, error, _) = await PostAsync("{}", "v1/completions");

        Assert.Equal(404, status);
        Assert.Equal("unknown_url", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Header_InvalidOverride_400NamingTheHeader()
    {
        using var http = _fixture.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent("""{"model":"main","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFixture.Key);
        request.Headers.Add("x-skfallback-hedging", "sideways");

        using var response = await http.SendAsync(request, Ct);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]!;

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("x-skfallback-hedging", error["param"]!.GetValue<string>());
    }
}
