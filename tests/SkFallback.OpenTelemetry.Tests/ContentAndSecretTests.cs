using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Simulator;

namespace SkFallback.OpenTelemetry.Tests;

/// <summary>Message content reaches spans only when opted in, with every configured key masked; no key ever reaches a span or a metric.</summary>
[Collection(nameof(AttemptSpanTests))]
public sealed class ContentAndSecretTests : IClassFixture<SimulatorFixture>
{
    private const string Question = "Which harbour is the oldest?";
    private readonly SimulatorFixture _fixture;

    public ContentAndSecretTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    public static TheoryData<WireFormat, bool> WiresAndModes() => AttemptSpanTests.WiresAndModes();

    private static IEnumerable<string> Texts(Activity span)
    {
        yield return span.DisplayName;
        yield return span.StatusDescription ?? string.Empty;
        foreach (var tag in span.TagObjects)
        {
            yield return $"{tag.Key}={(tag.Value is string[] array ? string.Join(",", array) : tag.Value)}";
        }

        foreach (var e in span.Events)
        {
            yield return e.Name;
            foreach (var tag in e.Tags)
            {
                yield return $"{tag.Key}={tag.Value}";
            }
        }
    }

    [Theory]
    [MemberData(nameof(WiresAndModes))]
    public async Task NotOptedIn_NoMessageContentOnAnySpan(WireFormat wire, bool streaming)
    {
        var model = $"otel-nocontent-{wire}-{(streaming ? "s" : "r")}".ToLowerInvariant();
        using var capture = new OtelCapture();
        var options = new FallbackOptions { CaptureMessageContent = false };
        options.Add(_fixture.Provider("only", model, wire));
        using var client = new FallbackChatClient(options);

        var answer = await AttemptSpanTests.Ask(client, streaming, Question);

        var trace = capture.TraceOf(model);
        Assert.Equal(2, trace.Count);
        Assert.All(trace, s => Assert.Null(s.GetTagItem("gen_ai.input.messages")));
        Assert.All(trace, s => Assert.Null(s.GetTagItem("gen_ai.output.messages")));
        var all = string.Join("\n", trace.SelectMany(Texts));
        Assert.DoesNotContain(Question, all, StringComparison.Ordinal);
        Assert.DoesNotContain(answer.Split(' ')[0], all, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(WiresAndModes))]
    public async Task OptedIn_AttemptSpansCarryTheMessagesInTheConventionsShape(WireFormat wire, bool streaming)
    {
        var model = $"otel-content-{wire}-{(streaming ? "s" : "r")}".ToLowerInvariant();
        using var capture = new OtelCapture();
        var options = new FallbackOptions { CaptureMessageContent = true };
        options.Add(_fixture.Provider("only", model, wire));
        using var client = new FallbackChatClient(options);

        var answer = await AttemptSpanTests.Ask(client, streaming, Question);

        var attempt = Assert.Single(capture.TraceOf(model), s => s.Kind == ActivityKind.Client);
        using var input = JsonDocument.Parse((string)attempt.GetTagItem("gen_ai.input.messages")!);
        var message = Assert.Single(input.RootElement.EnumerateArray());
        Assert.Equal("user", message.GetProperty("role").GetString());
        var part = Assert.Single(message.GetProperty("parts").EnumerateArray());
        Assert.Equal("text", part.GetProperty("type").GetString());
        Assert.Equal(Question, part.GetProperty("content").GetString());
        using var output = JsonDocument.Parse((string)attempt.GetTagItem("gen_ai.output.messages")!);
        var reply = Assert.Single(output.RootElement.EnumerateArray());
        Assert.Equal("assistant", reply.GetProperty("role").GetString());
        Assert.Equal("stop", reply.GetProperty("finish_reason").GetString());
        Assert.Equal(answer, string.Concat(reply.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("content").GetString())));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("false", false)]
    [InlineData(null, false)]
    public async Task EnvironmentVariable_OptsInWhenTheOptionIsUnset(string? value, bool captured)
    {
        var model = $"otel-env-{value ?? "unset"}".ToLowerInvariant();
        var before = Environment.GetEnvironmentVariable(FallbackTelemetry.CaptureMessageContentVariable);
        Environment.SetEnvironmentVariable(FallbackTelemetry.CaptureMessageContentVariable, value);
        FallbackChatClient client;
        try
        {
            // Read when the chain is built, as MEAI reads it when its client is.
            var options = new FallbackOptions();
            options.Add(_fixture.Provider("only", model, WireFormat.OpenAI));
            client = new FallbackChatClient(options);
        }
        finally
        {
            Environment.SetEnvironmentVariable(FallbackTelemetry.CaptureMessageContentVariable, before);
        }

        using var capture = new OtelCapture();
        using (client)
        {
            await AttemptSpanTests.Ask(client, streaming: false, Question);
        }

        var attempt = Assert.Single(capture.TraceOf(model), s => s.Kind == ActivityKind.Client);
        Assert.Equal(captured, attempt.GetTagItem("gen_ai.input.messages") is string input && input.Contains(Question, StringComparison.Ordinal));
        Assert.Equal(captured, attempt.GetTagItem("gen_ai.output.messages") is string);
    }

    [Fact]
    public async Task OptionFalse_WinsOverTheEnvironment()
    {
        const string Model = "otel-env-overridden";
        var before = Environment.GetEnvironmentVariable(FallbackTelemetry.CaptureMessageContentVariable);
        Environment.SetEnvironmentVariable(FallbackTelemetry.CaptureMessageContentVariable, "true");
        FallbackChatClient client;
        try
        {
            var options = new FallbackOptions { CaptureMessageContent = false };
            options.Add(_fixture.Provider("only", Model, WireFormat.Anthropic));
            client = new FallbackChatClient(options);
        }
        finally
        {
            Environment.SetEnvironmentVariable(FallbackTelemetry.CaptureMessageContentVariable, before);
        }

        using var capture = new OtelCapture();
        using (client)
        {
            await AttemptSpanTests.Ask(client, streaming: true, Question);
        }

        Assert.All(capture.TraceOf(Model), s => Assert.Null(s.GetTagItem("gen_ai.input.messages")));
    }

    [Theory]
    [MemberData(nameof(WiresAndModes))]
    public async Task EchoedKeyAndKeyInTheMessages_InNoSpanOrMetric_EvenWithContentOptedIn(WireFormat wire, bool streaming)
    {
        var tag = $"{wire}-{(streaming ? "s" : "r")}".ToLowerInvariant();
        string echo = $"otel-secret-a-{tag}", backup = $"otel-secret-b-{tag}";
        var key = wire == WireFormat.OpenAI ? SimulatorFixture.OpenAIKey : SimulatorFixture.AnthropicKey;
        _fixture.Simulator.Model(echo).Always(SimulatedBehavior.UnauthorizedEcho());
        using var capture = new OtelCapture();
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, CaptureMessageContent = true };
        options.Add(_fixture.Provider("echo", echo, wire));
        options.Add(_fixture.Provider("backup", backup, wire));
        using var client = new FallbackChatClient(options);

        // A careless caller pastes the key into the prompt: the captured content masks it too.
        await AttemptSpanTests.Ask(client, streaming, $"My key is {key}, why is it refused?");

        var trace = capture.TraceOf(echo);
        Assert.Equal(3, trace.Count);
        Assert.Equal("Authentication", Assert.Single(trace, s => (string?)s.GetTagItem("gen_ai.request.model") == echo).GetTagItem("error.type"));
        Assert.Contains(trace, s => s.GetTagItem("gen_ai.input.messages") is string m && m.Contains("why is it refused", StringComparison.Ordinal));
        var texts = trace.SelectMany(Texts).ToList();
        Assert.DoesNotContain(texts, t => t.Contains(key, StringComparison.Ordinal));
        var metricTexts = capture.Metrics().SelectMany(p => p.Tags.Select(t => $"{t.Key}={t.Value}")).ToList();
        Assert.NotEmpty(metricTexts);
        Assert.DoesNotContain(metricTexts, t => t.Contains(key, StringComparison.Ordinal));
    }
}
