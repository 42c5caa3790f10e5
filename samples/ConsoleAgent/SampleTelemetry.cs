using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ConsoleAgent;

/// <summary>
/// Exports the agent's traces (Semantic Kernel's function spans, the chain's call spans, one <c>chat {model}</c> span per
/// attempt) and the SkFallback metrics to the console or an OTLP collector, as <c>--telemetry</c> says.
/// </summary>
internal static class SampleTelemetry
{
    public const string None = "none";
    public const string Console = "console";
    public const string Otlp = "otlp";

    /// <summary>The tracer and meter providers (flushed when disposed), or <see langword="null"/> for <see cref="None"/>.</summary>
    public static IDisposable? Start(string exporter, Uri? otlpEndpoint)
    {
        if (exporter == None)
        {
            return null;
        }

        var resource = ResourceBuilder.CreateDefault().AddService("skfallback-console-agent");
        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSkFallbackInstrumentation()
            .AddSource("Microsoft.SemanticKernel*");
        var metering = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSkFallbackInstrumentation();
        if (exporter == Console)
        {
            tracing.AddConsoleExporter();
            metering.AddConsoleExporter();
        }
        else
        {
            tracing.AddOtlpExporter(o => o.Endpoint = otlpEndpoint ?? o.Endpoint);
            metering.AddOtlpExporter(o => o.Endpoint = otlpEndpoint ?? o.Endpoint);
        }

        return new Providers(tracing.Build(), metering.Build());
    }

    private sealed class Providers(TracerProvider? tracer, MeterProvider? meter) : IDisposable
    {
        public void Dispose()
        {
            tracer?.Dispose();
            meter?.Dispose();
        }
    }
}
