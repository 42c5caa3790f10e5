using System.Text;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;

namespace SkFallback.Simulator.Tests;

public sealed class AnthropicSdkTests
{
    private const string Model = "claude-sim-1";

    private static MessageCreateParams Params(string text, long maxTokens = 1024) => new()
    {
        Model = Model,
        MaxTokens = maxTokens,
        Messages = [new UserMessageParam { Content = text }],
    };

    [Fact]
    public async Task Create_Ok_ReturnsExpectedReplyAndUsage()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var client = SimulatorClients.Anthropic(simulator);

        var message = await client.Messages.Create(Params("Hello there"), TestContext.Current.CancellationToken);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(simulator.ExpectedReply(Model, "Hello there"), text.Text);
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.Equal(24, message.Usage.OutputTokens);
        Assert.Equal(Math.Max(1, "Hello there".Length / 4), message.Usage.InputTokens);
        Assert.StartsWith("msg_", message.ID, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateStreaming_Ok_StreamsTextDeltasAndStopReason()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var client = SimulatorClients.Anthropic(simulator);
        var text = new StringBuilder();
        var deltas = 0;
        string? stopReason = null;
        long? inputTokens = null;
        long? outputTokens = null;
        var stopped = false;

        await foreach (var streamEvent in client.Messages.CreateStreaming(Params("Stream please"), TestContext.Current.CancellationToken))
        {
            if (streamEvent.TryPickStart(out var start))
            {
                inputTokens = start.Message.Usage.InputTokens;
            }
            else if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
            {
                deltas++;
                text.Append(textDelta.Text);
            }
            else if (streamEvent.TryPickDelta(out var messageDelta))
            {
                stopReason = messageDelta.Delta.StopReason?.Raw();
                outputTokens = messageDelta.Usage.OutputTokens;
            }
            else if (streamEvent.TryPickStop(out _))
            {
                stopped = true;
            }
        }

        Assert.Equal(simulator.ExpectedReply(Model, "Stream please"), text.ToString());
        Assert.Equal(24, deltas);
        Assert.Equal("end_turn", stopReason);
        Assert.Equal(24, outputTokens);
        Assert.Equal(Math.Max(1, "Stream please".Length / 4), inputTokens);
        Assert.True(stopped);
    }

    [Fact]
    public async Task Create_ToolCall_ReturnsToolUseBlock()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.ToolCall("get_weather", """{"city":"Paris"}"""));
        var client = SimulatorClients.Anthropic(simulator);

        var message = await client.Messages.Create(Params("Weather in Paris?"), TestContext.Current.CancellationToken);

        Assert.Equal("tool_use", message.StopReason?.Raw());
        Assert.True(message.Content[0].TryPickToolUse(out var toolUse));
        Assert.Equal("get_weather", toolUse.Name);
        Assert.StartsWith("toolu_", toolUse.ID, StringComparison.Ordinal);
        Assert.Equal("Paris", toolUse.Input["city"].GetString());
    }

    [Fact]
    public async Task Create_RateLimited_ThrowsRateLimitExceptionAndSendsHeaders()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(3)));
        var client = SimulatorClients.Anthropic(simulator);

        var exception = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => client.Messages.Create(Params("hi"), TestContext.Current.CancellationToken));

        Assert.Equal(429, (int)exception.StatusCode);
        Assert.Contains("rate_limit_error", exception.ResponseBody, StringComparison.Ordinal);
        Assert.Equal(429, Assert.Single(simulator.Requests).StatusCode);
    }

    [Fact]
    public async Task MessagesEndpoint_RateLimited_SendsRetryAfterAndResetHeaders()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.RateLimited(TimeSpan.FromMilliseconds(2100)));
        using var http = SimulatorClients.Http(simulator);
        using var content = new StringContent($$"""{"model":"{{Model}}","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(new Uri("v1/messages", UriKind.Relative), content, TestContext.Current.CancellationToken);

        Assert.Equal(429, (int)response.StatusCode);
        Assert.Equal("3", response.Headers.GetValues("retry-after").Single());
        Assert.Equal("0", response.Headers.GetValues("anthropic-ratelimit-requests-remaining").Single());
        var reset = DateTimeOffset.Parse(response.Headers.GetValues("anthropic-ratelimit-requests-reset").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(reset - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(4));
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal("rate_limit_error", body["error"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(500, "api_error", "Anthropic5xxException")]
    [InlineData(502, "api_error", "Anthropic5xxException")]
    [InlineData(503, "api_error", "AnthropicServiceUnavailableException")]
    [InlineData(529, "overloaded_error", "AnthropicOverloadedException")]
    public async Task Create_ServerError_Throws5xxExceptionWithErrorType(int status, string errorType, string exceptionType)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.ServerError(status));
        var client = SimulatorClients.Anthropic(simulator);

        var exception = await Assert.ThrowsAnyAsync<Anthropic5xxException>(() => client.Messages.Create(Params("hi"), TestContext.Current.CancellationToken));

        Assert.Equal(exceptionType, exception.GetType().Name);
        Assert.Equal(status, (int)exception.StatusCode);
        Assert.Contains(errorType, exception.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ContextLengthExceededByWindow_ThrowsBadRequestWithPromptTooLong()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).WithContextWindow(5);
        var client = SimulatorClients.Anthropic(simulator);

        var exception = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Create(Params(new string('x', 400)), TestContext.Current.CancellationToken));

        Assert.Contains("prompt is too long: 100 tokens > 5 maximum", exception.ResponseBody, StringComparison.Ordinal);
        Assert.Equal(400, (int)exception.StatusCode);
        Assert.Equal("context_length_exceeded", Assert.Single(simulator.Requests).BehaviorName);
    }

    [Fact]
    public async Task Create_RefusalError_ThrowsBadRequestAboutPolicy()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.RefusalError());
        var client = SimulatorClients.Anthropic(simulator);

        var exception = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Create(Params("hi"), TestContext.Current.CancellationToken));

        Assert.Contains("invalid_request_error", exception.ResponseBody, StringComparison.Ordinal);
        Assert.Contains("policy", exception.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_Unauthorized_ThrowsUnauthorizedException()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.Unauthorized());
        var client = SimulatorClients.Anthropic(simulator);

        var exception = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => client.Messages.Create(Params("hi"), TestContext.Current.CancellationToken));

        Assert.Contains("authentication_error", exception.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ContentFilter_StopReasonRefusal()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Model).Then(SimulatedBehavior.ContentFilter());
        var client = SimulatorClients.Anthropic(simulator);

        var message = await client.Messages.Create(Params("hi"), TestContext.Current.CancellationToken);

        Assert.Equal("refusal", message.StopReason?.Raw());
        Assert.Empty(message.Content);
    }

    [Fact]
    public async Task Create_MaxTokensBelowReply_StopReasonMaxTokens()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var client = SimulatorClients.Anthropic(simulator);

        var message = await client.Messages.Create(Params("hi", maxTokens: 4), TestContext.Current.CancellationToken);

        Assert.Equal("max_tokens", message.StopReason?.Raw());
        Assert.Equal(4, message.Usage.OutputTokens);
    }
}
