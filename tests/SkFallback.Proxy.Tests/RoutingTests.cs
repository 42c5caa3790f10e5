using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>
/// A gateway with a conditional chain (<c>tiered</c>: tier <c>free</c> and task <c>code</c> get their own providers) and a
/// priced chain for budgets, besides the shared chains.
/// </summary>
public sealed class RoutingFixture : GatewayFixture
{
    protected override void Configure(Dictionary<string, string?> config)
    {
        Chain(config, "tiered", ("pro", "OpenAI", "sim-pro"), ("free", "OpenAI", "sim-free"), ("coder", "Anthropic", "sim-code"));
        config["SkFallback:Chains:tiered:Routing:Policy"] = "conditional";
        config["SkFallback:Chains:tiered:Routing:Rules:0:UserTier"] = "free";
        config["SkFallback:Chains:tiered:Routing:Rules:0:Chain:0"] = "free";
        config["SkFallback:Chains:tiered:Routing:Rules:1:Task"] = "code";
        config["SkFallback:Chains:tiered:Routing:Rules:1:Chain:0"] = "coder";
        config["SkFallback:Chains:tiered:Routing:DefaultChain:0"] = "pro";
        config["SkFallback:Chains:tiered:Routing:DefaultChain:1"] = "free";
        Chain(config, "priced", ("gpt4o", "OpenAI", "gpt-4o-2024-08-06"));
    }
}

/// <summary>Per-request routing and overrides by header and body metadata.</summary>
public sealed class RoutingTests : IClassFixture<RoutingFixture>
{
    private const string Question = "Plan a day trip to the coast with two stops.";
    private readonly RoutingFixture _fixture;

    public RoutingTests(RoutingFixture fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProviderSimulator Sim => _fixture.Simulator;

    private async Task<(HttpResponseMessage Response, string Body)> PostAsync(string json, params (string Name, string Value)[] headers)
    {
        using var http = _fixture.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFixture.Key);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        var response = await http.SendAsync(request, Ct);
        return (response, await response.Content.ReadAsStringAsync(Ct));
    }

    private static string Provider(HttpResponseMessage response) => response.Headers.GetValues("x-skfallback-provider").Single();

    [Fact]
    public async Task TierHeader_RoutesByTheChainsRules()
    {
        var (plain, _) = await PostAsync("""{"model":"tiered","messages":[{"role":"user","content":"hi"}]}""");
        var (free, _) = await PostAsync("""{"model":"tiered","messages":[{"role":"user","content":"hi"}]}""", ("x-skfallback-tier", "free"));
        var (code, _) = await PostAsync("""{"model":"tiered","messages":[{"role":"user","content":"hi"}]}""", ("x-skfallback-task", "code"));

        Assert.Equal("pro", Provider(plain));
        Assert.Equal("free", Provider(free));
        Assert.Equal("coder", Provider(code));
        plain.Dispose();
        free.Dispose();
        code.Dispose();
    }

    [Fact]
    public async Task BodyMetadataTier_RoutesLikeTheHeader()
    {
        var (response, _) = await PostAsync("""{"model":"tiered","metadata":{"tier":"free"},"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal("free", Provider(response));
        response.Dispose();
    }

    [Fact]
    public async Task StreamingModeBufferWhole_BreakAfterCommitIsRestartedNotContinued()
    {
        Sim.Model("sim-a").Then(SimulatedBehavior.DropAfter(14));

        var (response, body) = await PostAsync($$"""{"model":"main","stream":true,"messages":[{"role":"user","content":"{{Question}}"}]}""", ("x-skfallback-streaming-mode", "BufferWhole"));

        var chunks = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).Where(d => d != "[DONE]").Select(d => JsonNode.Parse(d)!).ToList();
        var text = string.Concat(chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["delta"]?["content"]?.GetValue<string>()));
        Assert.Equal(Sim.ExpectedReply("sim-a", Question), text);
        Assert.Equal("backup", Provider(response));
        Assert.Null(chunks[^1]["skfallback"]!["continued_from"]);
        Assert.Equal(ContinuationKind.None, Sim.RequestsFor("sim-a")[1].Continuation);
        response.Dispose();
    }

    [Fact]
    public async Task MaxCostHeader_BelowEveryEstimate_400BudgetExceededAndNothingSent()
    {
        var (response, body) = await PostAsync("""{"model":"priced","messages":[{"role":"user","content":"hi"}]}""", ("x-skfallback-max-cost-usd", "0.0000001"));

        Assert.Equal(400, (int)response.StatusCode);
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal("budget_exceeded", error["code"]!.GetValue<string>());
        Assert.Equal("x-skfallback-max-cost-usd", error["param"]!.GetValue<string>());
        Assert.Empty(Sim.Requests);
        response.Dispose();
    }

    [Fact]
    public async Task CostHeader_PricedModel_ReportsTheActualCost()
    {
        var (response, _) = await PostAsync("""{"model":"priced","messages":[{"role":"user","content":"hi"}]}""");

        var cost = decimal.Parse(response.Headers.GetValues("x-skfallback-cost-usd").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(cost, 0.0000001m, 0.01m);
        Assert.Equal(cost, _fixture.Gateway.Ledger.ByTenant["acme"].CostUsd);
        response.Dispose();
    }

    [Fact]
    public async Task TenantHeader_KeyWithoutOverride_403()
    {
        var (response, body) = await PostAsync("""{"model":"main","messages":[{"role":"user","content":"hi"}]}""", ("x-skfallback-tenant", "other"));

        Assert.Equal(403, (int)response.StatusCode);
        Assert.Equal("tenant_not_allowed", JsonNode.Parse(body)!["error"]!["code"]!.GetValue<string>());
        response.Dispose();
    }
}
