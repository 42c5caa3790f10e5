using SkFallback.Diagnostics;

namespace OpenTelemetry.Metrics;

/// <summary>Adds SkFallback's metrics to a meter provider.</summary>
public static class SkFallbackMeterProviderBuilderExtensions
{
    /// <summary>
    /// Listens to every SkFallback meter: <c>gen_ai.client.operation.duration</c>, <c>gen_ai.client.token.usage</c> and
    /// <c>gen_ai.client.operation.time_to_first_chunk</c> per attempt, and the <c>skfallback.*</c> instruments
    /// (attempts, fallbacks, durations, breaker transitions and states, racers, cost, cache).
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static MeterProviderBuilder AddSkFallbackInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(FallbackTelemetry.SourceName);
    }
}
