using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SkFallback.Proxy.Configuration;

namespace SkFallback.Proxy.Tests;

/// <summary>
/// <c>SkFallback:Proxy:Telemetry</c>: bad settings fail at startup naming their keys; with <c>Otlp</c> the gateway sends
/// its traces (the chain's call span and the attempts' <c>chat {model}</c> spans) and metrics to a collector.
/// </summary>
public sealed class TelemetryExportTests
{
    private const string DevKey = "sk-skf-dev-key-for-telemetry";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_BadTelemetrySettings_FailsNamingEachKey()
    {
        var exception = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            Configuration = new Dictionary<string, string?>
            {
                ["SkFallback:Proxy:Telemetry:Exporter"] = "Console",
                ["SkFallback:Proxy:Telemetry:OtlpEndpoint"] = "collector:4317",
                ["SkFallback:Proxy:Telemetry:ServiceName"] = " ",
            },
            ConsoleLogging = false,
        }, Ct));

        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Proxy:Telemetry:OtlpEndpoint must be an absolute http or https URI", StringComparison.Ordinal));
        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Proxy:Telemetry:ServiceName must not be empty", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_EndpointWithoutTheOtlpExporter_Fails()
    {
        var exception = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            Configuration = new Dictionary<string, string?> { ["SkFallback:Proxy:Telemetry:OtlpEndpoint"] = "http://127.0.0.1:4317" },
            ConsoleLogging = false,
        }, Ct));

        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Proxy:Telemetry:OtlpEndpoint is set but SkFallback:Proxy:Telemetry:Exporter is None", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_UnknownExporter_FailsNamingTheSection()
    {
        var exception = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            Configuration = new Dictionary<string, string?> { ["SkFallback:Proxy:Telemetry:Exporter"] = "Zipkin" },
            ConsoleLogging = false,
        }, Ct));

        Assert.Contains(exception.Errors, e => e.StartsWith("SkFallback:Proxy", StringComparison.Ordinal) && e.Contains("Zipkin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Otlp_OverHttp_TheCollectorReceivesTheCallAndAttemptSpansAndTheGenAIMetrics()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        await using var collector = await StartCollectorAsync(received);
        var collectorUri = Address(collector);

        var gateway = await GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0", $"--SkFallback:Proxy:DevelopmentKey={DevKey}"],
            Configuration = new Dictionary<string, string?>
            {
                ["SkFallback:Proxy:Telemetry:Exporter"] = nameof(TelemetryExporter.Otlp),
                ["SkFallback:Proxy:Telemetry:OtlpProtocol"] = nameof(OtlpTransport.HttpProtobuf),
                ["SkFallback:Proxy:Telemetry:OtlpEndpoint"] = collectorUri.ToString(),
            },
            ConsoleLogging = false,
        }, Ct);
        await using (gateway)
        {
            using var http = new HttpClient { BaseAddress = gateway.BaseUri };
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent("""{"model":"default","messages":[{"role":"user","content":"Name a colour."}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DevKey);
            using var response = await http.SendAsync(request, Ct);
            Assert.Equal(200, (int)response.StatusCode);
        }

        // Stopping the gateway flushes both exporters.
        var traces = Text(received, "/v1/traces");
        var metrics = Text(received, "/v1/metrics");
        Assert.Contains("skfallback.chat", traces, StringComparison.Ordinal);
        Assert.Contains("gen_ai.provider.name", traces, StringComparison.Ordinal);
        Assert.Contains("gen_ai.operation.name", traces, StringComparison.Ordinal);
        Assert.Contains("skfallback.attempt.index", traces, StringComparison.Ordinal);
        Assert.Contains("skfallback-gateway", traces, StringComparison.Ordinal);
        Assert.Contains("/v1/chat/completions", traces, StringComparison.Ordinal);
        Assert.Contains("gen_ai.client.operation.duration", metrics, StringComparison.Ordinal);
        Assert.Contains("skfallback.attempts", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(DevKey, traces + metrics, StringComparison.Ordinal);
    }

    private static string Text(ConcurrentQueue<(string Path, byte[] Body)> received, string path) =>
        string.Concat(received.Where(r => r.Path == path).Select(r => Encoding.UTF8.GetString(r.Body)));

    private static async Task<WebApplication> StartCollectorAsync(ConcurrentQueue<(string Path, byte[] Body)> received)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            received.Enqueue((context.Request.Path.Value!, body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync(Ct);
        return app;
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
