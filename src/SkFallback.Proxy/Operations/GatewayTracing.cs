using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SkFallback.Proxy.Configuration;

namespace SkFallback.Proxy.Operations;

/// <summary>
/// Exports the gateway's traces (each request's server span, the chain's call span under it, one <c>chat {model}</c>
/// span per attempt) and its meters to the console or an OTLP collector, as <c>SkFallback:Proxy:Telemetry</c> says.
/// </summary>
internal static class GatewayTracing
{
    /// <summary>Registers the tracer and meter providers' exporters (nothing when the exporter is <see cref="TelemetryExporter.None"/>).</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="options">The validated export options.</param>
    public static void Add(IServiceCollection services, GatewayTelemetryOptions options)
    {
        if (options.Exporter == TelemetryExporter.None)
        {
            return;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName))
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation().AddSkFallbackInstrumentation();
                if (options.Exporter == TelemetryExporter.Console)
                {
                    tracing.AddConsoleExporter();
                }
                else
                {
                    tracing.AddOtlpExporter(otlp => Configure(otlp, options, "v1/traces"));
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayMetrics.Meters);
                if (options.Exporter == TelemetryExporter.Console)
                {
                    metrics.AddConsoleExporter();
                }
                else
                {
                    metrics.AddOtlpExporter(otlp => Configure(otlp, options, "v1/metrics"));
                }
            });
    }

    private static void Configure(OtlpExporterOptions otlp, GatewayTelemetryOptions options, string signalPath)
    {
        otlp.Protocol = options.OtlpProtocol == OtlpTransport.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        if (options.OtlpEndpoint is { } endpoint)
        {
            // Set in code, an HTTP endpoint is used as it is: the signal's path is ours to add.
            otlp.Endpoint = options.OtlpProtocol == OtlpTransport.HttpProtobuf
                ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath)
                : endpoint;
        }
    }
}
