using System.Diagnostics.Metrics;
using SkFallback.Diagnostics;

namespace SkFallback.Caching;

/// <summary>The response cache's instruments, on the <c>SkFallback</c> meter (names in <see cref="FallbackTelemetry"/>).</summary>
internal static class CacheTelemetry
{
    internal static readonly Counter<long> Hits = FallbackTelemetry.Meter.CreateCounter<long>(FallbackTelemetry.CacheHitsInstrument, "{hit}", "Answers served from the cache, by layer.");
    internal static readonly Counter<long> Misses = FallbackTelemetry.Meter.CreateCounter<long>(FallbackTelemetry.CacheMissesInstrument, "{miss}", "Cacheable requests the cache could not serve.");
    internal static readonly Counter<long> Bypasses = FallbackTelemetry.Meter.CreateCounter<long>(FallbackTelemetry.CacheBypassesInstrument, "{request}", "Requests that skipped the cache, by reason.");
    internal static readonly Counter<double> SavedCost = FallbackTelemetry.Meter.CreateCounter<double>(FallbackTelemetry.CacheSavedCostInstrument, "USD", "What the answers served from the cache cost when first produced.");
    internal static readonly Counter<long> GuardRejections = FallbackTelemetry.Meter.CreateCounter<long>(FallbackTelemetry.CacheGuardRejectionsInstrument, "{rejection}", "Near matches the guard rejected, by reason.");

    private static readonly string[] RejectionNames = ["none", "number", "quoted", "entity", "negation"];

    public static void RecordHit(string layer, string? provider, string? model, decimal? saved)
    {
        if (Hits.Enabled)
        {
            Hits.Add(1, new(FallbackTelemetry.CacheLayerTag, layer), new(FallbackTelemetry.ProviderTag, provider ?? "unknown"));
        }

        if (saved is decimal usd && SavedCost.Enabled)
        {
            SavedCost.Add((double)usd, new(FallbackTelemetry.ProviderTag, provider ?? "unknown"), new(FallbackTelemetry.RequestModelTag, model ?? "unknown"));
        }
    }

    public static void RecordMiss()
    {
        if (Misses.Enabled)
        {
            Misses.Add(1);
        }
    }

    public static void RecordBypass(string reason)
    {
        if (Bypasses.Enabled)
        {
            Bypasses.Add(1, new KeyValuePair<string, object?>(FallbackTelemetry.ReasonTag, reason));
        }
    }

    public static void RecordRejection(SimilarityGuard.Rejection reason)
    {
        if (GuardRejections.Enabled)
        {
            GuardRejections.Add(1, new KeyValuePair<string, object?>(FallbackTelemetry.ReasonTag, RejectionNames[(int)reason]));
        }
    }
}
