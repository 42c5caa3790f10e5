using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace SkFallback.Cost;

/// <summary>
/// Prices, limits, capabilities and quality tiers of pinned models, shipped as a dated JSON catalog
/// (<c>Cost/price-catalog.json</c>, embedded) and overridable from a user file or the configuration section
/// <see cref="SectionName"/> (<c>SkFallback:Prices</c>), whose entries override the shipped ones by model id.
/// </summary>
/// <remarks>
/// <para>
/// JSON shape: <c>{ "asOf": "yyyy-MM-dd", "models": { "&lt;model id&gt;": { "provider", "inputPerMillion",
/// "outputPerMillion", "cachedInputPerMillion"?, "contextWindow", "maxOutputTokens",
/// "capabilities": { "tools", "vision", "json" }, "qualityTier", "source"? } } }</c>. The configuration section uses
/// the same field names (<c>SkFallback:Prices:&lt;model id&gt;:InputPerMillion</c>). An override of a known model may
/// give only the fields it changes; a new model must give every required field.
/// </para>
/// <para>
/// Invalid entries (a moving <c>-latest</c> alias unless allowed, a negative or non-numeric price, a missing field,
/// a tier outside 1–5, an unknown field) fail with an <see cref="OptionsValidationException"/> whose failures name the
/// key at fault. A model the catalog does not list has no price: <see cref="Estimate"/> returns <see langword="null"/>
/// rather than a guess.
/// </para>
/// </remarks>
public sealed class PriceCatalog
{
    /// <summary>The configuration section price overrides bind from.</summary>
    public const string SectionName = "SkFallback:Prices";

    /// <summary>The manifest name of the embedded catalog.</summary>
    internal const string EmbeddedResourceName = "SkFallback.Cost.price-catalog.json";

    private static readonly Lazy<PriceCatalog> Embedded = new(() => LoadEmbedded(allowModelAliases: false), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly FrozenSet<string> KnownFields = new[]
    {
        "provider", "inputPerMillion", "outputPerMillion", "cachedInputPerMillion", "contextWindow", "maxOutputTokens",
        "capabilities:tools", "capabilities:vision", "capabilities:json", "qualityTier", "source",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, ModelPrice> _models;

    private PriceCatalog(DateOnly asOf, FrozenDictionary<string, ModelPrice> models)
    {
        AsOf = asOf;
        _models = models;
    }

    /// <summary>Gets the catalog shipped with the library (loaded once).</summary>
    public static PriceCatalog Default => Embedded.Value;

    /// <summary>Gets the date the prices were checked.</summary>
    public DateOnly AsOf { get; }

    /// <summary>Gets the models, by id (case-insensitive).</summary>
    public IReadOnlyDictionary<string, ModelPrice> Models => _models;

    /// <summary>Loads the catalog shipped with the library.</summary>
    /// <param name="allowModelAliases">Whether moving aliases such as <c>-latest</c> ids are accepted.</param>
    /// <returns>The catalog.</returns>
    public static PriceCatalog LoadEmbedded(bool allowModelAliases = false)
    {
        using var stream = typeof(PriceCatalog).Assembly.GetManifestResourceStream(EmbeddedResourceName)
            ?? throw new InvalidOperationException($"The embedded resource '{EmbeddedResourceName}' is missing from {typeof(PriceCatalog).Assembly.GetName().Name}.");
        return Load(stream, allowModelAliases, "price-catalog.json");
    }

    /// <summary>Loads a complete catalog from JSON (it must carry <c>asOf</c>).</summary>
    /// <param name="json">The JSON stream.</param>
    /// <param name="allowModelAliases">Whether moving aliases such as <c>-latest</c> ids are accepted.</param>
    /// <param name="sourceName">The name used as the key prefix in messages (for example the file name).</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="OptionsValidationException">An entry is invalid; the failures name each key.</exception>
    public static PriceCatalog Load(Stream json, bool allowModelAliases = false, string sourceName = "price catalog")
    {
        ArgumentNullException.ThrowIfNull(json);
        var empty = new PriceCatalog(default, FrozenDictionary<string, ModelPrice>.Empty);
        return empty.MergeJson(json, allowModelAliases, sourceName, requireAsOf: true);
    }

    /// <summary>Returns a catalog with the entries of a user JSON file merged over these (by model id).</summary>
    /// <param name="json">The JSON stream, in the catalog's shape; <c>asOf</c> is optional and, when later, replaces this catalog's.</param>
    /// <param name="allowModelAliases">Whether moving aliases such as <c>-latest</c> ids are accepted.</param>
    /// <param name="sourceName">The name used as the key prefix in messages (for example the file name).</param>
    /// <returns>The merged catalog; this one is unchanged.</returns>
    /// <exception cref="OptionsValidationException">An entry is invalid; the failures name each key.</exception>
    public PriceCatalog Merge(Stream json, bool allowModelAliases = false, string sourceName = "price overrides")
    {
        ArgumentNullException.ThrowIfNull(json);
        return MergeJson(json, allowModelAliases, sourceName, requireAsOf: false);
    }

    /// <summary>Returns a catalog with the entries of a configuration section (normally <see cref="SectionName"/>) merged over these (by model id).</summary>
    /// <param name="section">The section whose children are model ids; a missing section changes nothing.</param>
    /// <param name="allowModelAliases">Whether moving aliases such as <c>-latest</c> ids are accepted.</param>
    /// <returns>The merged catalog; this one is unchanged.</returns>
    /// <exception cref="OptionsValidationException">An entry is invalid; the failures name each key (for example <c>SkFallback:Prices:gpt-4o-2024-08-06:InputPerMillion</c>).</exception>
    public PriceCatalog Merge(IConfigurationSection section, bool allowModelAliases = false)
    {
        ArgumentNullException.ThrowIfNull(section);
        var entries = new List<(string ModelId, string Key, Dictionary<string, string?> Fields)>();
        foreach (var model in section.GetChildren())
        {
            var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            Flatten(model, string.Empty, fields);
            entries.Add((model.Key, model.Path, fields));
        }

        return Apply(AsOf, entries, allowModelAliases, section.Path, pascalKeys: true);
    }

    /// <summary>Finds a model's entry.</summary>
    /// <param name="model">The model id.</param>
    /// <param name="price">The entry, when found.</param>
    /// <returns>Whether the catalog lists the model.</returns>
    public bool TryGet(string model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPrice? price)
    {
        ArgumentNullException.ThrowIfNull(model);
        return _models.TryGetValue(model, out price);
    }

    /// <summary>Prices a call: uncached prompt tokens at the input price, cached ones at the cached-input price, output tokens at the output price.</summary>
    /// <param name="model">The model id.</param>
    /// <param name="promptTokens">The prompt tokens, cached ones included.</param>
    /// <param name="outputTokens">The output tokens.</param>
    /// <param name="cachedPromptTokens">How many of the prompt tokens are cache hits (at most <paramref name="promptTokens"/>).</param>
    /// <returns>The cost, or <see langword="null"/> when the catalog does not list the model (never a made-up price).</returns>
    public CostEstimate? Estimate(string model, long promptTokens, long outputTokens, long cachedPromptTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(outputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(cachedPromptTokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cachedPromptTokens, promptTokens);
        if (!TryGet(model, out var price))
        {
            return null;
        }

        return new CostEstimate(price.ModelId, promptTokens, cachedPromptTokens, outputTokens, price.InputCost(promptTokens, cachedPromptTokens), price.OutputCost(outputTokens));
    }

    private PriceCatalog MergeJson(Stream json, bool allowModelAliases, string sourceName, bool requireAsOf)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw Invalid(sourceName, [$"{sourceName} is not valid JSON: {ex.Message}"]);
        }

        using (document)
        {
            var root = document.RootElement;
            var errors = new List<string>();
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(sourceName, [$"{sourceName} must be a JSON object with \"asOf\" and \"models\"."]);
            }

            var asOf = AsOf;
            if (TryProperty(root, "asOf", out var asOfElement))
            {
                if (asOfElement.ValueKind == JsonValueKind.String
                    && DateOnly.TryParseExact(asOfElement.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                {
                    asOf = parsed > asOf ? parsed : asOf;
                }
                else
                {
                    errors.Add($"{sourceName}:asOf must be a date written yyyy-MM-dd (was {asOfElement.GetRawText()}).");
                }
            }
            else if (requireAsOf)
            {
                errors.Add($"{sourceName}:asOf is required: the date the prices were checked (yyyy-MM-dd).");
            }

            var entries = new List<(string ModelId, string Key, Dictionary<string, string?> Fields)>();
            if (!TryProperty(root, "models", out var models) || models.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{sourceName}:models is required: an object of entries keyed by pinned model id.");
            }
            else
            {
                foreach (var model in models.EnumerateObject())
                {
                    var key = $"{sourceName}:models:{model.Name}";
                    if (model.Value.ValueKind != JsonValueKind.Object)
                    {
                        errors.Add($"{key} must be an object.");
                        continue;
                    }

                    var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                    Flatten(model.Value, string.Empty, fields);
                    entries.Add((model.Name, key, fields));
                }
            }

            if (errors.Count > 0)
            {
                throw Invalid(sourceName, errors);
            }

            return Apply(asOf, entries, allowModelAliases, sourceName, pascalKeys: false);
        }
    }

    private PriceCatalog Apply(DateOnly asOf, List<(string ModelId, string Key, Dictionary<string, string?> Fields)> entries, bool allowModelAliases, string sourceName, bool pascalKeys)
    {
        if (entries.Count == 0 && asOf == AsOf)
        {
            return this;
        }

        var errors = new List<string>();
        var merged = new Dictionary<string, ModelPrice>(_models, StringComparer.OrdinalIgnoreCase);
        foreach (var (modelId, key, fields) in entries)
        {
            merged.TryGetValue(modelId, out var existing);
            if (Build(modelId, key, fields, existing, allowModelAliases, pascalKeys, errors) is { } price)
            {
                merged[modelId] = price;
            }
        }

        if (errors.Count > 0)
        {
            throw Invalid(sourceName, errors);
        }

        return new PriceCatalog(asOf, merged.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }

    private static ModelPrice? Build(string modelId, string entryKey, Dictionary<string, string?> fields, ModelPrice? existing, bool allowModelAliases, bool pascalKeys, List<string> errors)
    {
        var before = errors.Count;
        var key = new EntryKey(entryKey, pascalKeys);
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

    private static void Flatten(JsonElement element, string prefix, Dictionary<string, string?> fields)
    {
        foreach (var property in element.EnumerateObject())
        {
            var name = prefix + property.Name;
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.Object:
                    Flatten(property.Value, name + ":", fields);
                    break;
                case JsonValueKind.String:
                    fields[name] = property.Value.GetString();
                    break;
                case JsonValueKind.Null:
                    fields[name] = null;
                    break;
                case JsonValueKind.True:
                case JsonValueKind.False:
                    fields[name] = property.Value.GetBoolean() ? "true" : "false";
                    break;
                default:
                    fields[name] = property.Value.GetRawText();
                    break;
            }
        }
    }

    private static void Flatten(IConfigurationSection section, string prefix, Dictionary<string, string?> fields)
    {
        foreach (var child in section.GetChildren())
        {
            var name = prefix + child.Key;
            if (child.Value is null && child.GetChildren().Any())
            {
                Flatten(child, name + ":", fields);
            }
            else
            {
                fields[name] = child.Value;
            }
        }
    }

    private static bool TryProperty(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Names the keys of one entry as the source spells them: PascalCase in configuration, camelCase in JSON.</summary>
    private readonly record struct EntryKey(string Prefix, bool Pascal)
    {
        public string Of(string field) => $"{Prefix}:{Name(field)}";

        public string Name(string field) =>
            Pascal ? string.Join(':', field.Split(':').Select(part => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..])) : field;
    }

    private static OptionsValidationException Invalid(string sourceName, IEnumerable<string> errors) =>
        new(sourceName, typeof(PriceCatalog), errors);
}
