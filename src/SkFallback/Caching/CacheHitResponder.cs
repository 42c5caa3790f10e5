using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SkFallback.Cost;

namespace SkFallback.Caching;

/// <summary>Turns a stored entry into the response a cache hit returns, priced by what the first call would cost again.</summary>
internal sealed class CacheHitResponder(ILogger logger, PriceCatalog prices)
{
    private static readonly IReadOnlyList<FallbackAttempt> NoAttempts = [];

    /// <summary>The caller's response for a hit: a fresh copy of the answer, marked with the layer, its origin and the saved cost, with no usage; <see langword="null"/> (logged) when the entry does not deserialize.</summary>
    public ChatResponse? Serve(SemanticCacheEntry entry, string layer, float? similarity)
    {
        ChatResponse response;
        try
        {
            response = CachedAnswer.Deserialize(entry.Response);
        }
        catch (JsonException e)
        {
            CacheLog.StoreFailed(logger, "read a cached answer", e.GetType().Name, e.Message);
            return null;
        }

        var saved = Saved(entry.Model, response.Usage);
        var properties = response.AdditionalProperties ??= [];
        properties[FallbackMetadataKeys.Provider] = entry.Provider;
        properties[FallbackMetadataKeys.Model] = entry.Model;
        properties[FallbackMetadataKeys.Attempts] = NoAttempts;
        properties[CacheMetadataKeys.Hit] = layer;
        properties[CacheMetadataKeys.CachedAt] = entry.CreatedAt;
        if (similarity is float s)
        {
            properties[CacheMetadataKeys.Similarity] = s;
        }

        if (saved is decimal usd)
        {
            properties[CacheMetadataKeys.SavedCostUsd] = usd;
        }

        // No tokens were spent on this answer; what the first call spent is in the saved cost.
        response.Usage = null;
        CacheTelemetry.RecordHit(layer, entry.Provider, entry.Model, saved);
        CacheLog.Hit(logger, layer, entry.Provider, entry.Model, entry.CreatedAt);
        return response;
    }

    private decimal? Saved(string? model, UsageDetails? usage)
    {
        if (model is null || usage?.InputTokenCount is not long input || usage.OutputTokenCount is not long output || input < 0 || output < 0)
        {
            return null;
        }

        var cached = Math.Clamp(usage.CachedInputTokenCount ?? 0, 0, input);
        return prices.Estimate(model, input, output, cached)?.TotalUsd;
    }
}
