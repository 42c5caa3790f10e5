namespace SkFallback.Proxy.Configuration;

/// <summary>The gateway's trace and metric export (section <c>SkFallback:Proxy:Telemetry</c>).</summary>
internal sealed class GatewayTelemetryOptions
{
    /// <summary>Gets or sets where traces and metrics go.</summary>
    /// <value>Defaults to <see cref="TelemetryExporter.None"/>.</value>
    public TelemetryExporter Exporter { get; set; }

    /// <summary>Gets or sets the collector's base address for <see cref="TelemetryExporter.Otlp"/>.</summary>
    /// <value>Defaults to <see langword="null"/>: the exporter's own default (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, else <c>http://localhost:4317</c>). An absolute http or https URI.</value>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>Gets or sets how OTLP is sent.</summary>
    /// <value>Defaults to <see cref="OtlpTransport.Grpc"/>.</value>
    public OtlpTransport OtlpProtocol { get; set; }

    /// <summary>Gets or sets the <c>service.name</c> the gateway's telemetry carries.</summary>
    /// <value>Defaults to <c>skfallback-gateway</c>.</value>
    public string ServiceName { get; set; } = "skfallback-gateway";
}
