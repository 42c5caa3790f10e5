namespace SkFallback.Proxy.Configuration;

/// <summary>Where the gateway sends its traces and metrics (<c>SkFallback:Proxy:Telemetry:Exporter</c>).</summary>
internal enum TelemetryExporter
{
    /// <summary>Nowhere (the Prometheus <c>/metrics</c> endpoint is apart from this).</summary>
    None,

    /// <summary>Standard output, one block per span and metric: for trying it out.</summary>
    Console,

    /// <summary>An OpenTelemetry collector over OTLP.</summary>
    Otlp,
}
