using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Proxy.Keys;

namespace SkFallback.Proxy.Tests;

/// <summary>A gateway whose keys have limits, on a fake clock (the windows move with it, nothing sleeps).</summary>
public sealed class KeyedGatewayFixture : GatewayFixture
{
    public const string RevokedKey = "sk-skf-revoked-key-0123456789";
    public const string FastOnlyKey = "sk-skf-fast-only-0123456789ab";
    public const string LimitedKey = "sk-skf-limited-key-0123456789";
    public const string BudgetKey = "sk-skf-budget-key-01234567890";
    public const string PricedModel = "gpt-4o-mini-2024-07-18";

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));

    protected override TimeProvider? Time => Clock;

    protected override void Configure(Dictionary<string, string?> config)
    {
        Chain(config, "fast", ("mini", "OpenAI", PricedModel));
        AddKey(config, 1, "revoked", RevokedKey, revoked: true);
        AddKey(config, 2, "fast-only", FastOnlyKey);
        config["SkFallback:Proxy:Keys:2:Models:0"] = "fast";
        AddKey(config, 3, "limited", LimitedKey);
        config["SkFallback:Proxy:Keys:3:RequestsPerMinute"] = "2";
        AddKey(config, 4, "budget", BudgetKey);
        config["SkFallback:Proxy:Keys:4:DailyBudgetUsd"] = "0.00002";
    }

    private static void AddKey(Dictionary<string, string?> config, int index, string id, string key, bool revoked = false)
    {
        config[$"SkFallback:Proxy:Keys:{index}:Id"] = id;
        config[$"SkFallback:Proxy:Keys:{index}:Hash"] = GatewayKeyHash.Hash(key);
        config[$"SkFallback:Proxy:Keys:{index}:Tenant"] = id;
        config[$"SkFallback:Proxy:Keys:{index}:Revoked"] = revoked ? "true" : "false";
    }
}

/// <summary>Gateway keys: each refusal with the status and error code the real APIs use.</summary>
public sealed class KeyTests : IClassFixture<KeyedGatewayFixture>
{
    private readonly KeyedGatewayFixture _fixture;

    public KeyTests(KeyedGatewayFixture fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> PostAsync(string? bearer, string model = "main", string? apiKeyHeader = null)
    {
        using var http = _fixture.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            // max_tokens bounds what a call can cost, so a budget holds each call's upper bound, not the model's whole output.
            Content = new StringContent($$"""{"model":"{{model}}","max_tokens":24,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (apiKeyHeader is not null)
        {
            request.Headers.Add("x-api-key", apiKeyHeader);
        }

        return await http.SendAsync(request, Ct);
    }

    private static async Task<JsonNode> ErrorAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]!;

    [Theory]
    [InlineData(null)]
    [InlineData("sk-skf-not-a-key")]
    [InlineData(KeyedGatewayFixture.RevokedKey)]
    public async Task Chat_MissingWrongOrRevokedKey_401InvalidApiKey(string? key)
    {
        using var response = await PostAsync(key);
        var error = await ErrorAsync(response);

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("invalid_api_key", error["code"]!.GetValue<string>());
        Assert.Empty(_fixture.Simulator.Requests);
        if (key is not null)
        {
            Assert.DoesNotContain(key, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Chat_ModelNotAllowedForKey_403()
    {
        using var response = await PostAsync(KeyedGatewayFixture.FastOnlyKey, "main");

        Assert.Equal(403, (int)response.StatusCode);
        Assert.Equal("model_not_allowed", (await ErrorAsync(response))["code"]!.GetValue<string>());
        using var allowed = await PostAsync(KeyedGatewayFixture.FastOnlyKey, "fast");
        Assert.Equal(200, (int)allowed.StatusCode);
    }

    [Fact]
    public async Task Chat_RateLimited_429WithRetryAfterAndHeaders_ThenServedAfterTheWait()
    {
        _fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        using (var first = await PostAsync(KeyedGatewayFixture.LimitedKey))
        {
            Assert.Equal(200, (int)first.StatusCode);
            Assert.Equal("2", first.Headers.GetValues("x-ratelimit-limit-requests").Single());
            Assert.Equal("1", first.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        }

        using (var second = await PostAsync(KeyedGatewayFixture.LimitedKey))
        {
            Assert.Equal(200, (int)second.StatusCode);
        }

        using var refused = await PostAsync(KeyedGatewayFixture.LimitedKey);
        Assert.Equal(429, (int)refused.StatusCode);
        Assert.Equal("rate_limit_exceeded", (await ErrorAsync(refused))["code"]!.GetValue<string>());
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal("0", refused.Headers.GetValues("x-ratelimit-remaining-requests").Single());

        _fixture.Clock.Advance(TimeSpan.FromSeconds(retryAfter));
        using var after = await PostAsync(KeyedGatewayFixture.LimitedKey);
        Assert.Equal(200, (int)after.StatusCode);
    }

    [Fact]
    public async Task Chat_DailyBudgetSpent_429InsufficientQuota_UntilTheNextDay()
    {
        var served = 0;
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 5 && refused is null; i++)
        {
            var response = await PostAsync(KeyedGatewayFixture.BudgetKey, "fast");
            if ((int)response.StatusCode == 200)
            {
                served++;
                response.Dispose();
            }
            else
            {
                refused = response;
            }
        }

        Assert.NotNull(refused);
        using (refused)
        {
            Assert.Equal(429, (int)refused.StatusCode);
            Assert.Equal("insufficient_quota", (await ErrorAsync(refused))["code"]!.GetValue<string>());
        }

        Assert.InRange(served, 1, 2);
        _fixture.Clock.Advance(TimeSpan.FromDays(1));
        using var tomorrow = await PostAsync(KeyedGatewayFixture.BudgetKey, "fast");
        Assert.Equal(200, (int)tomorrow.StatusCode);
    }

    [Fact]
    public async Task Models_ListsOnlyTheModelsTheKeyMayUse()
    {
        using var http = _fixture.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeyedGatewayFixture.FastOnlyKey);
        using var response = await http.SendAsync(request, Ct);
        var list = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal("list", list["object"]!.GetValue<string>());
        Assert.Equal(["fast", KeyedGatewayFixture.PricedModel], list["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
    }
}
