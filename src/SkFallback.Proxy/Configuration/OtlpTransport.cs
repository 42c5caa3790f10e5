namespace SkFallback.Proxy.Configuration;

/// <summary>How OTLP is sent (<c>SkFallback:Proxy:Telemetry:OtlpProtocol</c>).</summary>
internal enum OtlpTransport
{
    /// <summary>gRPC (a collector's port 4317).</summary>
    Grpc,

    /// <summary>Protobuf over HTTP (a collector's port 4318; <c>/v1/traces</c> and <c>/v1/metrics</c> are appended to the endpoint).</summary>
    HttpProtobuf,
}
