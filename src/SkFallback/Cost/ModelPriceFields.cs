using System.Collections.Frozen;
using System.Globalization;

namespace SkFallback.Cost;

/// <summary>Checks the fields of one <see cref="PriceEntry"/> and builds its <see cref="ModelPrice"/>, over the model's existing entry when it overrides one.</summary>
internal static class ModelPriceFields
{
    private static readonly FrozenSet<string> KnownFields = new[]
    {
        "provider", "inputPerMillion", "outputPerMillion", "cachedInputPerMillion", "contextWindow", "maxOutputTokens",
        "capabilities:tools", "capabilities:vision", "capabilities:json", "qualityTier", "source",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The entry's price, or <see langword="null"/> when it has problems (each added to <paramref name="errors"/>, naming its key).</summary>
    public static ModelPrice? Build(string modelId, string entryKey, Dictionary<string, string?> fields, ModelPrice? existing, bool allowModelAliases, bool pascalKeys, List<string> errors)
    {
        var before = errors.Count;
        var key = new EntryKey(entryKey, pascalKeys);
        CheckEntry(modelId, entryKey, key, fields, allowModelAliases, errors);
        var provider = Text(fields, "provider") ?? existing?.Provider;
        if (string.IsNullOrWhiteSpace(provider))
        {
            errors.Add($"{key.Of("provider")} is required (a provider kind such as {ProviderKinds.OpenAI} or {ProviderKinds.Anthropic}).");
        }

        var input = Price(fields, "inputPerMillion", key, errors, existing?.InputPerMillion);
        var output = Price(fields, "outputPerMillion", key, errors, existing?.OutputPerMillion);
        var cached = fields.ContainsKey("cachedInputPerMillion") ? Price(fields, "cachedInputPerMillion", key, errors, null, required: false) : existing?.CachedInputPerMillion;
        var context = Integer(fields, "contextWindow", key, errors, existing?.ContextWindow, 1, int.MaxValue);
        var maxOutput = Integer(fields, "maxOutputTokens", key, errors, existing?.MaxOutputTokens, 1, int.MaxValue);
        var tier = Integer(fields, "qualityTier", key, errors, existing?.QualityTier, 1, 5);
        if (context is int c && maxOutput is int m && m > c)
        {
            errors.Add($"{key.Of("maxOutputTokens")} ({m}) must not exceed {key.Of("contextWindow")} ({c}).");
        }

        var capabilities = existing?.Capabilities ?? ModelCapabilities.None;
        capabilities = Flag(fields, "capabilities:tools", ModelCapabilities.Tools, capabilities, key, errors);
        capabilities = Flag(fields, "capabilities:vision", ModelCapabilities.Vision, capabilities, key, errors);
        capabilities = Flag(fields, "capabilities:json", ModelCapabilities.Json, capabilities, key, errors);

        if (errors.Count > before)
        {
            return null;
        }

        return new ModelPrice
        {
            ModelId = modelId,
            Provider = provider!,
            InputPerMillion = input!.Value,
            OutputPerMillion = output!.Value,
            CachedInputPerMillion = cached,
            ContextWindow = context!.Value,
            MaxOutputTokens = maxOutput!.Value,
            Capabilities = capabilities,
            QualityTier = tier!.Value,
            Source = Text(fields, "source") ?? existing?.Source,
        };
    }

    private static void CheckEntry(string modelId, string entryKey, EntryKey key, Dictionary<string, string?> fields, bool allowModelAliases, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(modelId))
        {
            errors.Add($"{entryKey} has an empty model id.");
        }
        else if (!allowModelAliases && FallbackOptionsValidator.IsAlias(modelId))
        {
            errors.Add($"{entryKey}: '{modelId}' is a moving alias; list a pinned, dated model id, or allow model aliases.");
        }

        foreach (var field in fields.Keys)
        {
            if (!KnownFields.Contains(field))
            {
                errors.Add($"{entryKey}:{key.Name(field)} is not a known field (known: {string.Join(", ", KnownFields.Order(StringComparer.Ordinal))}).");
            }
        }
    }

    private static string? Text(Dictionary<string, string?> fields, string name) =>
        fields.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    private static decimal? Price(Dictionary<string, string?> fields, string name, EntryKey key, List<string> errors, decimal? fallback, bool required = true)
    {
        if (Text(fields, name) is not { } raw)
        {
            if (fallback is null && required)
            {
                errors.Add($"{key.Of(name)} is required: US dollars per million tokens, 0 or more.");
            }

            return fallback;
        }

        if (!decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            errors.Add($"{key.Of(name)} must be a number of US dollars per million tokens (was '{raw}').");
            return null;
        }

        if (value < 0)
        {
            errors.Add($"{key.Of(name)} must be 0 or more (was {raw}).");
            return null;
        }

        return value;
    }

    private static int? Integer(Dictionary<string, string?> fields, string name, EntryKey key, List<string> errors, int? fallback, int min, int max)
    {
        if (Text(fields, name) is not { } raw)
        {
            if (fallback is null)
            {
                errors.Add($"{key.Of(name)} is required: a whole number from {min} to {max}.");
            }

            return fallback;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add($"{key.Of(name)} must be a whole number from {min} to {max} (was '{raw}').");
            return null;
        }

        return value;
    }

    private static ModelCapabilities Flag(Dictionary<string, string?> fields, string name, ModelCapabilities flag, ModelCapabilities current, EntryKey key, List<string> errors)
    {
        if (Text(fields, name) is not { } raw)
        {
            return current;
        }

        if (!bool.TryParse(raw, out var on))
        {
            errors.Add($"{key.Of(name)} must be true or false (was '{raw}').");
            return current;
        }

        return on ? current | flag : current & ~flag;
    }

    /// <summary>Names the keys of one entry as the source spells them: PascalCase in configuration, camelCase in JSON.</summary>
    private readonly record struct EntryKey(string Prefix, bool Pascal)
    {
        public string Of(string field) => $"{Prefix}:{Name(field)}";

        public string Name(string field) =>
            Pascal ? string.Join(':', field.Split(':').Select(part => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..])) : field;
    }
}
