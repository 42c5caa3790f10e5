using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkFallback.Caching;

/// <summary>Reads a request's cache switches from <see cref="ChatOptions.AdditionalProperties"/> (<see cref="CacheMetadataKeys"/>).</summary>
internal static class CacheRequestSwitches
{
    /// <summary>Whether a flag is set: <see langword="true"/>, <c>"true"</c> or a JSON true.</summary>
    public static bool IsOn(AdditionalPropertiesDictionary? properties, string key) =>
        properties is not null && properties.TryGetValue(key, out var value) && value switch
        {
            bool b => b,
            string s => bool.TryParse(s, out var parsed) && parsed,
            JsonElement { ValueKind: JsonValueKind.True } => true,
            _ => false,
        };

    /// <summary>The request's minimum quality tier, or <see langword="null"/>; throws when it is not a whole number from 1 to 5.</summary>
    public static int? MinQualityTier(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null || !properties.TryGetValue(CacheMetadataKeys.MinQualityTier, out var value) || value is null)
        {
            return null;
        }

        int? tier = value switch
        {
            int i => i,
            long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
            string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt32(out var n) => n,
            _ => null,
        };
        if (tier is not (>= 1 and <= 5))
        {
            throw new ArgumentException(
                $"ChatOptions.AdditionalProperties[\"{CacheMetadataKeys.MinQualityTier}\"] must be a whole number between 1 and 5 (was {value}).");
        }

        return tier;
    }

    /// <summary>The request's tenant, as text; empty when it has none.</summary>
    public static string Tenant(AdditionalPropertiesDictionary? properties) =>
        properties is not null && properties.TryGetValue(CacheMetadataKeys.Tenant, out var t) && t is not null
            ? Convert.ToString(t is JsonElement { ValueKind: JsonValueKind.String } e ? e.GetString() : t, CultureInfo.InvariantCulture) ?? string.Empty
            : string.Empty;
}
