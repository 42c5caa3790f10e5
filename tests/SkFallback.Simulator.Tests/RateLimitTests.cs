using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;
using SkFallback.Simulator.Anthropic;
using SkFallback.Simulator.OpenAI;

namespace SkFallback.Simulator.Tests;

public sealed class RateLimitTests
{
    private const string Gpt = "gpt-rl";
    private const string Claude = "claude-rl";

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    private static Task<ProviderSimulator> StartAsync(FakeTimeProvider time) =>
        ProviderSimulator.StartAsync(new SimulatorOptions { TimeProvider = time }, TestToken);

    /// <summary>"hi" is one prompt token, so a request costs 1 + <paramref name="maxTokens"/> tokens.</summary>
    private static ChatCompletionOptions MaxTokens(int maxTokens) => new() { MaxOutputTokenCount = maxTokens };

    private static string Header(PipelineResponse response, string name) =>
        response.Headers.TryGetValue(name, out var value) ? value! : throw new Xunit.Sdk.XunitException($"Missing header {name}.");

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : throw new Xunit.Sdk.XunitException($"Missing header {name}.");

    private static Task<HttpResponseMessage> PostMessagesAsync(HttpClient http, string model, int maxTokens, bool stream = false)
    {
        var json = $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/messages", UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        return http.SendAsync(request, TestToken);
    }

    [Fact]
    public async Task CompleteChat_RateLimitedModel_SendsAllSixHeadersDecreasingPerRequest()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Gpt).WithRateLimits(60, 10_000);
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        var first = (await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(101), TestToken)).GetRawResponse();
        var second = (await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(101), TestToken)).GetRawResponse();

        Assert.Equal("60", Header(first, "x-ratelimit-limit-requests"));
        Assert.Equal("10000", Header(first, "x-ratelimit-limit-tokens"));
        Assert.Equal("59", Header(first, "x-ratelimit-remaining-requests"));
        Assert.Equal("9898", Header(first, "x-ratelimit-remaining-tokens"));
        Assert.Equal("1s", Header(first, "x-ratelimit-reset-requests"));
        Assert.Equal("612ms", Header(first, "x-ratelimit-reset-tokens"));
        Assert.Equal("58", Header(second, "x-ratelimit-remaining-requests"));
        Assert.Equal("9796", Header(second, "x-ratelimit-remaining-tokens"));
        Assert.Equal("2s", Header(second, "x-ratelimit-reset-requests"));
        Assert.Equal("1.224s", Header(second, "x-ratelimit-reset-tokens"));
    }

    [Fact]
    public async Task CompleteChat_NoMaxTokens_ChargesPromptPlusReplyLength()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Gpt).WithRateLimits(60, 10_000);
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        var response = (await client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestToken)).GetRawResponse();

        Assert.Equal((10_000 - 1 - 24).ToString(CultureInfo.InvariantCulture), Header(response, "x-ratelimit-remaining-tokens"));
    }

    [Fact]
    public async Task CompleteChat_FakeTimeAdvances_BucketsRefillAtLimitPerMinute()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Gpt).WithRateLimits(60, 10_000).WithRemainingTokens(1000).WithRemainingRequests(10);
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        time.Advance(TimeSpan.FromSeconds(3));
        var refilled = (await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(101), TestToken)).GetRawResponse();
        time.Advance(TimeSpan.FromMinutes(5));
        var full = (await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(101), TestToken)).GetRawResponse();

        // 10000 TPM refill 500 tokens in 3 s and 60 RPM refill 3 requests: 1500 - 102 and 13 - 1.
        Assert.Equal("1398", Header(refilled, "x-ratelimit-remaining-tokens"));
        Assert.Equal("12", Header(refilled, "x-ratelimit-remaining-requests"));
        Assert.Equal("51.612s", Header(refilled, "x-ratelimit-reset-tokens"));
        Assert.Equal("48s", Header(refilled, "x-ratelimit-reset-requests"));
        Assert.Equal("9898", Header(full, "x-ratelimit-remaining-tokens"));
        Assert.Equal("59", Header(full, "x-ratelimit-remaining-requests"));
    }

    [Fact]
    public async Task CompleteChat_LargeRequestAboveRemainingTokens_429WhileSmallRequestPasses()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Gpt).WithRateLimits(60, 10_000).WithRemainingTokens(500);
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(1000), TestToken));
        var small = (await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(99), TestToken)).GetRawResponse();

        Assert.Equal(429, refused.Status);
        var response = refused.GetRawResponse()!;
        Assert.Equal("500", Header(response, "x-ratelimit-remaining-tokens"));
        Assert.Equal("60", Header(response, "x-ratelimit-remaining-requests"));
        var error = JsonNode.Parse(response.Content.ToString())!["error"]!;
        Assert.Equal("rate_limit_exceeded", error["code"]!.GetValue<string>());
        Assert.Equal("tokens", error["type"]!.GetValue<string>());
        Assert.Contains("Limit 10000, Used 9500, Requested 1001", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(200, small.Status);
        Assert.Equal("400", Header(small, "x-ratelimit-remaining-tokens"));
        Assert.Equal("59", Header(small, "x-ratelimit-remaining-requests"));
        Assert.Equal(["rate_limited_bucket", "ok"], simulator.RequestsFor(Gpt).Select(r => r.BehaviorName));
        Assert.Equal([429, 200], simulator.RequestsFor(Gpt).Select(r => r.StatusCode));
    }

    [Fact]
    public async Task CompleteChat_BucketRefusal_RetryAfterIsExactWaitUntilEnoughRefill()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Gpt).WithRateLimits(60, 10_000).WithRemainingTokens(500);
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        // Needs 1001, holds 500: 501 tokens at 10000/60 per second is 3.006 s.
        var first = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(1000), TestToken));
        time.Advance(TimeSpan.FromSeconds(3));
        var second = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(1000), TestToken));
        time.Advance(TimeSpan.FromMilliseconds(6));
        var third = await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(1000), TestToken);

        Assert.Equal("4", Header(first.GetRawResponse()!, "retry-after"));
        Assert.Equal("3006", Header(first.GetRawResponse()!, "retry-after-ms"));
        Assert.Contains("Please try again in 3.006s.", first.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Equal("1", Header(second.GetRawResponse()!, "retry-after"));
        Assert.Equal("6", Header(second.GetRawResponse()!, "retry-after-ms"));
        Assert.Equal("1000", Header(second.GetRawResponse()!, "x-ratelimit-remaining-tokens"));
        Assert.Equal("0", Header(third.GetRawResponse(), "x-ratelimit-remaining-tokens"));
        Assert.Equal("1m0s", Header(third.GetRawResponse(), "x-ratelimit-reset-tokens"));
    }

    [Fact]
    public async Task CompleteChat_RequestsBucketEmpty_429OnRequestsWithRetryAfter()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Gpt).WithRateLimits(2, 100_000);
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(10), TestToken);
        await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(10), TestToken);
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(10), TestToken));

        var response = refused.GetRawResponse()!;
        Assert.Equal(429, refused.Status);
        Assert.Equal("30", Header(response, "retry-after"));
        Assert.Equal("0", Header(response, "x-ratelimit-remaining-requests"));
        Assert.Equal("1m0s", Header(response, "x-ratelimit-reset-requests"));
        Assert.Equal("99978", Header(response, "x-ratelimit-remaining-tokens"));
        Assert.Equal("requests", JsonNode.Parse(response.Content.ToString())!["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task CompleteChat_RequestLargerThanTokenLimit_429RequestTooLarge()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Gpt).WithRateLimits(60, 1000);
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(5000), TestToken));

        Assert.Equal(429, refused.Status);
        Assert.Contains("Request too large", refused.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Equal("1000", Header(refused.GetRawResponse()!, "x-ratelimit-remaining-tokens"));
    }

    [Fact]
    public async Task CompleteChat_ScriptedFaults_TakePrecedenceAndConsumeNothing()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Gpt).WithRateLimits(60, 10_000).WithContextWindow(5)
            .Then(SimulatedBehavior.ServerError(503))
            .Then(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(7)));
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        var serverError = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(100), TestToken));
        var scripted429 = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(100), TestToken));
        var tooLong = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("a prompt well above five tokens")], MaxTokens(100), TestToken));
        var ok = (await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(100), TestToken)).GetRawResponse();

        Assert.Equal(503, serverError.Status);
        Assert.Equal("60", Header(serverError.GetRawResponse()!, "x-ratelimit-remaining-requests"));
        Assert.Equal("10000", Header(serverError.GetRawResponse()!, "x-ratelimit-remaining-tokens"));
        Assert.Equal(429, scripted429.Status);
        Assert.Equal("7", Header(scripted429.GetRawResponse()!, "retry-after"));
        Assert.Equal("60", Header(scripted429.GetRawResponse()!, "x-ratelimit-limit-requests"));
        Assert.Equal("60", Header(scripted429.GetRawResponse()!, "x-ratelimit-remaining-requests"));
        Assert.Equal("0s", Header(scripted429.GetRawResponse()!, "x-ratelimit-reset-requests"));
        Assert.Equal(400, tooLong.Status);
        Assert.Equal("10000", Header(tooLong.GetRawResponse()!, "x-ratelimit-remaining-tokens"));
        Assert.Equal("59", Header(ok, "x-ratelimit-remaining-requests"));
        Assert.Equal("9899", Header(ok, "x-ratelimit-remaining-tokens"));
        Assert.Equal(["server_error", "rate_limited", "context_length_exceeded", "ok"], simulator.RequestsFor(Gpt).Select(r => r.BehaviorName));
    }

    [Fact]
    public async Task CompleteChat_BucketRefusesQueuedReply_ReplyWaitsForNextAdmittedRequest()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Gpt).WithRateLimits(60, 6000).WithRemainingTokens(0).Then(SimulatedBehavior.Reply("queued reply"));
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(99), TestToken));
        time.Advance(TimeSpan.FromSeconds(1));
        ChatCompletion reply = await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(99), TestToken);

        Assert.Equal("1", Header(refused.GetRawResponse()!, "retry-after"));
        Assert.Equal("queued reply", reply.Content[0].Text);
    }

    [Fact]
    public async Task CompleteChat_ModelWithoutRateLimits_SendsNoRateLimitHeaders()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        var response = (await client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestToken)).GetRawResponse();

        Assert.False(response.Headers.TryGetValue("x-ratelimit-remaining-tokens", out _));
        Assert.False(response.Headers.TryGetValue("x-ratelimit-limit-requests", out _));
    }

    [Fact]
    public async Task CompleteChat_WrongApiKeyOnRateLimitedModel_401WithoutHeadersAndNoCharge()
    {
        await using var simulator = await ProviderSimulator.StartAsync(new SimulatorOptions { RequiredApiKey = "right", TimeProvider = new FakeTimeProvider() }, TestToken);
        simulator.Model(Gpt).WithRateLimits(60, 10_000);

        var denied = await Assert.ThrowsAsync<ClientResultException>(() => SimulatorClients.OpenAI(simulator, Gpt, "wrong").CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(10), TestToken));
        var ok = (await SimulatorClients.OpenAI(simulator, Gpt, "right").CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(10), TestToken)).GetRawResponse();

        Assert.Equal(401, denied.Status);
        Assert.False(denied.GetRawResponse()!.Headers.TryGetValue("x-ratelimit-remaining-requests", out _));
        Assert.Equal("59", Header(ok, "x-ratelimit-remaining-requests"));
    }

    [Fact]
    public async Task MessagesEndpoint_RateLimitedModel_SendsAnthropicHeadersWithRfc3339Resets()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Claude).WithRateLimits(50, 40_000);
        using var http = SimulatorClients.Http(simulator);

        using var first = await PostMessagesAsync(http, Claude, 100);
        using var second = await PostMessagesAsync(http, Claude, 100);

        Assert.Equal(200, (int)first.StatusCode);
        Assert.Equal("50", Header(first, "anthropic-ratelimit-requests-limit"));
        Assert.Equal("49", Header(first, "anthropic-ratelimit-requests-remaining"));
        Assert.Equal("48", Header(second, "anthropic-ratelimit-requests-remaining"));

        // 1 request at 50/min refills in 1.2 s; 101 tokens at 40000/min in 0.1515 s: rounded up to whole seconds.
        Assert.Equal("2000-01-01T00:00:02Z", Header(first, "anthropic-ratelimit-requests-reset"));
        foreach (var family in new[] { "tokens", "input-tokens", "output-tokens" })
        {
            Assert.Equal("40000", Header(first, $"anthropic-ratelimit-{family}-limit"));
            Assert.Equal("39899", Header(first, $"anthropic-ratelimit-{family}-remaining"));
            Assert.Equal("2000-01-01T00:00:01Z", Header(first, $"anthropic-ratelimit-{family}-reset"));
            Assert.Equal("39798", Header(second, $"anthropic-ratelimit-{family}-remaining"));
        }

        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(2), DateTimeOffset.Parse(Header(first, "anthropic-ratelimit-requests-reset"), CultureInfo.InvariantCulture));
        Assert.False(first.Headers.Contains("retry-after"));
    }

    [Fact]
    public async Task MessagesEndpoint_Streaming_SendsHeadersBeforeEvents()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Claude).WithRateLimits(50, 40_000);
        using var http = SimulatorClients.Http(simulator);

        using var response = await PostMessagesAsync(http, Claude, 100, stream: true);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("39899", Header(response, "anthropic-ratelimit-tokens-remaining"));
    }

    [Fact]
    public async Task MessagesEndpoint_BucketRefusal_Sends429WithRetryAfterAndRealLevels()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Claude).WithRateLimits(50, 6000).WithRemainingTokens(40);
        using var http = SimulatorClients.Http(simulator);

        // Needs 1 + 1000 tokens, holds 40: 961 tokens at 100 per second is 9.61 s.
        using var refused = await PostMessagesAsync(http, Claude, 1000);
        using var small = await PostMessagesAsync(http, Claude, 9);

        Assert.Equal(429, (int)refused.StatusCode);
        Assert.Equal("10", Header(refused, "retry-after"));
        Assert.Equal("40", Header(refused, "anthropic-ratelimit-tokens-remaining"));
        Assert.Equal("50", Header(refused, "anthropic-ratelimit-requests-remaining"));
        Assert.Equal("2000-01-01T00:01:00Z", Header(refused, "anthropic-ratelimit-tokens-reset"));
        var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync(TestToken))!;
        Assert.Equal("rate_limit_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains("6,000 tokens per minute", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(200, (int)small.StatusCode);
        Assert.Equal("30", Header(small, "anthropic-ratelimit-tokens-remaining"));
        Assert.Equal("rate_limited_bucket", simulator.RequestsFor(Claude)[0].BehaviorName);
    }

    [Fact]
    public async Task Create_BucketRefusal_AnthropicSdkThrowsRateLimitException()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.Model(Claude).WithRateLimits(50, 6000).WithRemainingTokens(0);
        var client = SimulatorClients.Anthropic(simulator);
        var parameters = new MessageCreateParams { Model = Claude, MaxTokens = 1024, Messages = [new UserMessageParam { Content = "hi" }] };

        var exception = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => client.Messages.Create(parameters, TestToken));
        time.Advance(TimeSpan.FromSeconds(11));
        var message = await client.Messages.Create(parameters, TestToken);

        Assert.Equal(429, (int)exception.StatusCode);
        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.Equal(simulator.ExpectedReply(Claude, "hi"), text.Text);
        Assert.Equal([429, 200], simulator.RequestsFor(Claude).Select(r => r.StatusCode));
    }

    [Fact]
    public async Task LoadScript_RateLimitsShape_SetsBucketsAndLevels()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        simulator.LoadScript("""{"models":{"gpt-rl":{"rateLimits":{"requestsPerMinute":60,"tokensPerMinute":10000,"remainingTokens":500,"remainingRequests":5}}}}""");
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        var response = (await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(99), TestToken)).GetRawResponse();

        Assert.Equal("10000", Header(response, "x-ratelimit-limit-tokens"));
        Assert.Equal("400", Header(response, "x-ratelimit-remaining-tokens"));
        Assert.Equal("4", Header(response, "x-ratelimit-remaining-requests"));
    }

    [Fact]
    public async Task ScriptEndpoint_RateLimitsShape_DrivesBucketAndReplacingScriptRemovesIt()
    {
        var time = new FakeTimeProvider();
        await using var simulator = await StartAsync(time);
        using var http = SimulatorClients.Http(simulator);
        using var limited = new StringContent("""{"rateLimits":{"requestsPerMinute":1,"tokensPerMinute":10000}}""", Encoding.UTF8, "application/json");
        using var plain = new StringContent("""{"always":{"kind":"ok"}}""", Encoding.UTF8, "application/json");
        var client = SimulatorClients.OpenAI(simulator, Gpt);

        using var posted = await http.PostAsync(new Uri($"_sim/models/{Gpt}/script", UriKind.Relative), limited, TestToken);
        await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(10), TestToken);
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(10), TestToken));
        using var replaced = await http.PostAsync(new Uri($"_sim/models/{Gpt}/script", UriKind.Relative), plain, TestToken);
        var free = (await client.CompleteChatAsync([new UserChatMessage("hi")], MaxTokens(10), TestToken)).GetRawResponse();

        Assert.True(posted.IsSuccessStatusCode);
        Assert.Equal(429, refused.Status);
        Assert.Equal("60", Header(refused.GetRawResponse()!, "retry-after"));
        Assert.True(replaced.IsSuccessStatusCode);
        Assert.False(free.Headers.TryGetValue("x-ratelimit-limit-requests", out _));
    }

    [Theory]
    [InlineData("""{"rateLimits":{"requestsPerMinute":60}}""", "rateLimits.tokensPerMinute")]
    [InlineData("""{"rateLimits":{"requestsPerMinute":0,"tokensPerMinute":10}}""", "rateLimits.requestsPerMinute")]
    [InlineData("""{"rateLimits":{"requestsPerMinute":60,"tokensPerMinute":10,"remainingTokens":11}}""", "rateLimits.remainingTokens")]
    [InlineData("""{"rateLimits":[60,10]}""", "rateLimits")]
    public async Task ScriptEndpoint_InvalidRateLimits_Returns400NamingTheKey(string script, string key)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        using var http = SimulatorClients.Http(simulator);
        using var content = new StringContent(script, Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(new Uri("_sim/models/m/script", UriKind.Relative), content, TestToken);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains(key, await response.Content.ReadAsStringAsync(TestToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithRemainingTokens_InvalidUse_Throws()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);

        Assert.Throws<InvalidOperationException>(() => simulator.Model("none").WithRemainingTokens(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.Model("m").WithRateLimits(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => simulator.Model("m").WithRateLimits(10, 100).WithRemainingTokens(101));
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => simulator.Model("m").WithRemainingRequests(-1));
        Assert.Equal("requests", negative.ParamName);
    }

    [Fact]
    public async Task StartAsync_NullTimeProvider_ThrowsNamingTheOption()
    {
        var exception = await Assert.ThrowsAsync<ArgumentNullException>(() => ProviderSimulator.StartAsync(new SimulatorOptions { TimeProvider = null! }, TestToken));

        Assert.Equal("TimeProvider", exception.ParamName);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(20, "20ms")]
    [InlineData(999.1, "1s")]
    [InlineData(1000, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(51_612, "51.612s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(3_723_500, "1h2m3.5s")]
    public void Duration_OpenAINotation_MatchesGoStyle(double milliseconds, string expected)
    {
        Assert.Equal(expected, OpenAIWire.Duration(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Fact]
    public void Rfc3339_FractionalSecond_RoundsUpToWholeSecond()
    {
        var time = new DateTimeOffset(2025, 8, 21, 12, 40, 58, TimeSpan.Zero);

        Assert.Equal("2025-08-21T12:40:58Z", AnthropicWire.Rfc3339(time));
        Assert.Equal("2025-08-21T12:40:59Z", AnthropicWire.Rfc3339(time.AddTicks(1)));
    }

    [Fact]
    public void TokenBucket_LongIdle_FillsToCapacityWithoutOverflow()
    {
        var start = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var bucket = new RateLimiting.TokenBucket(int.MaxValue, start);
        bucket.Set(0, start);

        bucket.Refill(start.AddYears(10));

        Assert.Equal(int.MaxValue, bucket.Remaining);
        Assert.Equal(TimeSpan.Zero, bucket.UntilFull);
    }
}
