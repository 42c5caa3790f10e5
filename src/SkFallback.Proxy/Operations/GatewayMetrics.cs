using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using SkFallback.Diagnostics;

namespace SkFallback.Proxy.Operations;

/// <summary>
/// <c>GET /metrics</c>: the chains' <c>SkFallback</c> meters (attempts, fallbacks by reason, attempt and call durations,
/// breaker transitions and states, tokens, cost, cache hits) and ASP.NET Core's request meters, in the Prometheus text
/// format through OpenTelemetry. Like <c>/healthz</c> it needs no key and shows no secret (tags are provider names,
/// models, outcomes and tenants).
/// </summary>
internal static class GatewayMetrics
{
    /// <summary>The path Prometheus scrapes.</summary>
    public const string Path = "/metrics";

    /// <summary>The meters exported.</summary>
    public static readonly string[] Meters = [FallbackTelemetry.SourceName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>Registers the meter provider and the Prometheus exporter.</summary>
    /// <param name="services">The host's services.</param>
    public static void Add(IServiceCollection services) =>
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(Meters).AddPrometheusExporter());

    /// <summary>Maps the scraping endpoint.</summary>
    /// <param name="app">The app.</param>
    public static void Map(WebApplication app) => app.MapPrometheusScrapingEndpoint(Path);
}
