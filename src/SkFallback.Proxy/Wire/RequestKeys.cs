using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using SkFallback.Caching;

namespace SkFallback.Proxy.Wire;

/// <summary>
/// Turns request headers and body metadata into the chain's request keys (<see cref="FallbackMetadataKeys"/>), checking
/// each value so a bad one is a 400 naming the header, never an engine exception.
/// </summary>
internal static class RequestKeys
{
    /// <summary>Routing: the user tier.</summary>
    public const string TierHeader = "x-skfallback-tier";

    /// <summary>Routing: the region.</summary>
    public const string RegionHeader = "x-skfallback-region";

    /// <summary>Routing: the task.</summary>
    public const string TaskHeader = "x-skfallback-task";

    /// <summary><c>Stream</c> or <c>BufferWhole</c>.</summary>
    public const string StreamingModeHeader = "x-skfallback-streaming-mode";

    /// <summary><c>none</c>, <c>hedged</c> or <c>parallel</c>.</summary>
    public const string HedgingHeader = "x-skfallback-hedging";

    /// <summary>This call's budget in US dollars.</summary>
    public const string MaxCostHeader = "x-skfallback-max-cost-usd";

    /// <summary><c>true</c> skips the response cache.</summary>
    public const string CacheBypassHeader = "x-skfallback-cache-bypass";

    /// <summary>Another tenant, for keys allowed to name one.</summary>
    public const string TenantHeader = "x-skfallback-tenant";

    /// <summary>A routing policy name for this call.</summary>
    public const string RoutingPolicyHeader = "x-skfallback-routing-policy";

    /// <summary>Maps a <c>metadata</c> entry of the body to a routing key (<c>tier</c>, <c>region</c>, <c>task</c>); others stay out of routing.</summary>
    /// <param name="options">The request options.</param>
    /// <param name="name">The entry's name.</param>
    /// <param name="value">Its value.</param>
    public static void ApplyMetadata(ChatOptions options, string name, string value)
    {
        var key = name switch
        {
            "tier" or "user_tier" => FallbackMetadataKeys.UserTier,
            "region" => FallbackMetadataKeys.Region,
            "task" => FallbackMetadataKeys.Task,
            _ => null,
        };
        if (key is not null)
        {
            (options.AdditionalProperties ??= [])[key] = value;
        }
    }

    /// <summary>Adds the request keys the headers and the key set.</summary>
    /// <param name="headers">The request headers.</param>
    /// <param name="options">The request options.</param>
    /// <param name="tenant">The key's tenant.</param>
    /// <param name="allowTenantOverride">Whether the key may name another tenant.</param>
    /// <exception cref="GatewayException">A header has an invalid value, or names a tenant the key may not.</exception>
    public static void Apply(IHeaderDictionary headers, ChatOptions options, string? tenant, bool allowTenantOverride)
    {
        if (Header(headers, TenantHeader) is { } named)
        {
            if (!allowTenantOverride)
            {
                throw new GatewayException(new GatewayError(403, "permission_error", "tenant_not_allowed", TenantHeader, $"This key may not name a tenant with '{TenantHeader}'."));
            }

            tenant = named;
        }

        if (tenant is not null)
        {
            (options.AdditionalProperties ??= [])[FallbackMetadataKeys.Tenant] = tenant;
        }

        Set(options, FallbackMetadataKeys.UserTier, Header(headers, TierHeader));
        Set(options, FallbackMetadataKeys.Region, Header(headers, RegionHeader));
        Set(options, FallbackMetadataKeys.Task, Header(headers, TaskHeader));
        Set(options, FallbackMetadataKeys.RoutingPolicy, Header(headers, RoutingPolicyHeader));
        SetModes(headers, options);
        SetLimits(headers, options);
    }

    /// <summary>The streaming mode and hedging headers.</summary>
    private static void SetModes(IHeaderDictionary headers, ChatOptions options)
    {
        if (Header(headers, StreamingModeHeader) is { } mode)
        {
            Set(options, FallbackMetadataKeys.StreamingMode, mode.ToUpperInvariant() switch
            {
                "STREAM" => "Stream",
                "BUFFERWHOLE" or "BUFFER_WHOLE" or "BUFFER-WHOLE" => "BufferWhole",
                _ => throw Bad(StreamingModeHeader, mode, "'Stream' or 'BufferWhole'"),
            });
        }

        if (Header(headers, HedgingHeader) is { } hedging)
        {
            Set(options, FallbackMetadataKeys.Hedging, hedging.ToUpperInvariant() switch
            {
                "NONE" => "none",
                "HEDGED" => "hedged",
                "PARALLEL" => "parallel",
                _ => throw Bad(HedgingHeader, hedging, "'none', 'hedged' or 'parallel'"),
            });
        }
    }

    /// <summary>The per-call budget and cache-bypass headers.</summary>
    private static void SetLimits(IHeaderDictionary headers, ChatOptions options)
    {
        if (Header(headers, MaxCostHeader) is { } cost)
        {
            if (!decimal.TryParse(cost, NumberStyles.Number, CultureInfo.InvariantCulture, out var usd) || usd < 0)
            {
                throw Bad(MaxCostHeader, cost, "a non-negative number of US dollars");
            }

            (options.AdditionalProperties ??= [])[FallbackMetadataKeys.MaxCostUsd] = usd;
        }

        if (Header(headers, CacheBypassHeader) is { } bypass)
        {
            (options.AdditionalProperties ??= [])[CacheMetadataKeys.Bypass] = bypass.ToUpperInvariant() switch
            {
                "TRUE" or "1" => true,
                "FALSE" or "0" => false,
                _ => throw Bad(CacheBypassHeader, bypass, "'true' or 'false'"),
            };
        }
    }

    private static string? Header(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0]!.Trim() : null;

    private static void Set(ChatOptions options, string key, string? value)
    {
        if (value is not null)
        {
            (options.AdditionalProperties ??= [])[key] = value;
        }
    }

    private static GatewayException Bad(string header, string value, string expected) =>
        new(GatewayError.Invalid(header, $"Invalid value for header '{header}': '{Truncate(value)}'; expected {expected}.", "invalid_header"));

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
