using SkFallback.Diagnostics;

namespace OpenTelemetry.Trace;

/// <summary>Adds SkFallback's spans to a tracer provider.</summary>
public static class SkFallbackTracerProviderBuilderExtensions
{
    /// <summary>
    /// Listens to every SkFallback chain and response cache: per call a <c>skfallback.chat</c> (or
    /// <c>skfallback.chat.stream</c>) span, under it one <c>chat {model}</c> span of kind Client per attempt in the
    /// OpenTelemetry GenAI conventions, and the cache's <c>skfallback.cache.lookup</c> span.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TracerProviderBuilder AddSkFallbackInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(FallbackTelemetry.SourceName);
    }
}
