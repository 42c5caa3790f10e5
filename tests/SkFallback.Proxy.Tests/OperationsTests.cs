using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>A gateway with one more chain, <c>fragile</c>: one provider whose breaker opens at the first failure.</summary>
public sealed class OperationsFixture : GatewayFixture
{
    protected override void Configure(Dictionary<string, string?> config)
    {
        Chain(config, "fragile", ("fragile", "OpenAI", "sim-f"));
        config["SkFallback:Chains:fragile:CircuitBreaker:Enabled"] = "true";
        config["SkFallback:Chains:fragile:CircuitBreaker:FailureThreshold"] = "1";
        config["SkFallback:Chains:fragile:CircuitBreaker:BreakDuration"] = "00:05:00";
    }
}

/// <summary>Liveness, readiness, provider health and a graceful drain.</summary>
public sealed class OperationsTests : IClassFixture<OperationsFixture>
{
    private readonly OperationsFixture _fixture;

    public OperationsTests(OperationsFixture fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(int Status, JsonNode Body, string Text)> GetAsync(string path)
    {
        using var http = _fixture.Http();
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return ((int)response.StatusCode, JsonNode.Parse(text)!, text);
    }

    private async Task<int> ChatAsync(string model)
    {
        using var http = _fixture.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFixture.Key);
        using var response = await http.SendAsync(request, Ct);
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task Metrics_AfterACall_PrometheusTextWithTheSkFallbackMeters()
    {
        Assert.Equal(200, await ChatAsync("main"));

        using var http = _fixture.Http();
        string text = string.Empty;
        for (var i = 0; i < 50 && !text.Contains("skfallback_attempts", StringComparison.Ordinal); i++)
        {
            // The exporter caches a scrape briefly; ask again until the call's attempt is in it (bounded).
            using var response = await http.GetAsync(new Uri("metrics", UriKind.Relative), Ct);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            text = await response.Content.ReadAsStringAsync(Ct);
            if (!text.Contains("skfallback_attempts", StringComparison.Ordinal))
            {
                await Task.Delay(100, Ct);
            }
        }

        Assert.Contains("skfallback_attempts", text, StringComparison.Ordinal);
        Assert.Contains("skfallback_call_duration", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration", text, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFixture.OpenAIUpstreamKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFixture.Key, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_Live()
    {
        var (status, body, _) = await GetAsync("healthz");

        Assert.Equal(200, status);
        Assert.Equal("ok", body["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ProviderHealth_SnapshotPerChainWithoutSecrets()
    {
        Assert.Equal(200, await ChatAsync("main"));

        var (status, body, text) = await GetAsync("v1/providers/health");

        Assert.Equal(200, status);
        var main = body["chains"]!.AsArray().Single(c => c!["chain"]!.GetValue<string>() == "main")!;
        var providers = main["providers"]!.AsArray();
        Assert.Equal(["primary", "backup", "third"], providers.Select(p => p!["provider"]!.GetValue<string>()));
        Assert.True(providers[0]!["attempts"]!.GetValue<int>() >= 1);
        Assert.Equal("Closed", providers[0]!["circuit"]!.GetValue<string>());
        Assert.DoesNotContain(GatewayFixture.OpenAIUpstreamKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(_fixture.Simulator.BaseUri.Authority, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_ChainWhoseOnlyProviderIsOpen_503NamingIt()
    {
        var (before, _, _) = await GetAsync("readyz");
        _fixture.Simulator.Model("sim-f").Always(SimulatedBehavior.ServerError(500));

        Assert.Equal(503, await ChatAsync("fragile"));
        var (status, body, _) = await GetAsync("readyz");

        Assert.Equal(200, before);
        Assert.Equal(503, status);
        Assert.Equal(["fragile"], body["chains_without_a_closed_provider"]!.AsArray().Select(c => c!.GetValue<string>()));
    }
}

/// <summary>Shutdown lets a stream in flight finish.</summary>
public sealed class DrainTests
{
    [Fact]
    public async Task Stop_StreamInFlight_FinishesWithinTheDrainTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        var fixture = new GatewayFixture();
        await fixture.InitializeAsync();
        try
        {
            fixture.Simulator.Model("sim-d").WithLatency(new LatencyProfile(TimeSpan.Zero, 30, 0));
            using var http = fixture.Http();
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent("""{"model":"slow","stream":true,"messages":[{"role":"user","content":"Tell me a story."}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFixture.Key);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            Assert.StartsWith("data: ", await reader.ReadLineAsync(ct), StringComparison.Ordinal);

            var stopping = fixture.Gateway.StopAsync(ct);
            var rest = await reader.ReadToEndAsync(ct);
            await stopping;

            Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
            var upstream = Assert.Single(fixture.Simulator.RequestsFor("sim-d"));
            Assert.False(upstream.Aborted);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }
}
