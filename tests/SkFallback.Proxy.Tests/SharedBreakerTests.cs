using System.Net.Http.Headers;
using System.Text;
using SkFallback.Proxy.Keys;
using SkFallback.Redis.Tests;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>With Redis configured, the gateways' chains share breaker states through SkFallback.Redis: a breaker one replica opens is open on the other.</summary>
public sealed class SharedBreakerTests
{
    private const string Key = "sk-skf-shared-breaker-key-0123";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoGatewaysSharingRedis_BreakerOpenedByOne_IsOpenOnTheOther()
    {
        var redis = RedisTestEnvironment.RequireEndpoint();
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: Ct);
        var prefix = $"skf-breaker-{Guid.NewGuid():N}:";
        var config = new Dictionary<string, string?>
        {
            ["SkFallback:Chains:fragile:MaxRetriesPerProvider"] = "0",
            ["SkFallback:Chains:fragile:CircuitBreaker:FailureThreshold"] = "1",
            ["SkFallback:Chains:fragile:CircuitBreaker:BreakDuration"] = "00:05:00",
            ["SkFallback:Chains:fragile:Providers:0:Name"] = "fragile",
            ["SkFallback:Chains:fragile:Providers:0:Kind"] = "OpenAI",
            ["SkFallback:Chains:fragile:Providers:0:Model"] = "sim-shared-f",
            ["SkFallback:Chains:fragile:Providers:0:ApiKey"] = "sk-upstream-secret-0000",
            ["SkFallback:Chains:fragile:Providers:0:Endpoint"] = simulator.OpenAIEndpoint.ToString(),
            ["SkFallback:Proxy:Keys:0:Id"] = "k",
            ["SkFallback:Proxy:Keys:0:Hash"] = GatewayKeyHash.Hash(Key),
            ["SkFallback:Proxy:Redis:Configuration"] = redis,
            ["SkFallback:Proxy:Redis:KeyPrefix"] = prefix,
        };
        await using var a = await StartAsync(config);
        await using var b = await StartAsync(config);
        using var http = new HttpClient();
        Assert.Equal(200, await StatusAsync(http, b, "readyz"));

        simulator.Model("sim-shared-f").Always(SimulatedBehavior.ServerError(500));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(a.BaseUri, "v1/chat/completions"))
        {
            Content = new StringContent("""{"model":"fragile","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using (var failed = await http.SendAsync(request, Ct))
        {
            Assert.Equal(503, (int)failed.StatusCode);
        }

        Assert.Equal(503, await StatusAsync(http, a, "readyz"));
        var opened = false;
        for (var i = 0; i < 100 && !opened; i++)
        {
            // The other replica learns of it over Redis pub/sub (bounded wait for a real server, not a timer).
            opened = await StatusAsync(http, b, "readyz") == 503;
            if (!opened)
            {
                await Task.Delay(50, Ct);
            }
        }

        Assert.True(opened, "the breaker opened on gateway A is open on gateway B");
    }

    private static async Task<int> StatusAsync(HttpClient http, GatewayServer gateway, string path)
    {
        using var response = await http.GetAsync(new Uri(gateway.BaseUri, path), Ct);
        return (int)response.StatusCode;
    }

    private static Task<GatewayServer> StartAsync(Dictionary<string, string?> config) => GatewayServer.StartAsync(new GatewayStartOptions
    {
        Args = ["--urls", "http://127.0.0.1:0"],
        Configuration = config,
        ConsoleLogging = false,
    }, Ct);
}
