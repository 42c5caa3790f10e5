using System.Collections.Frozen;
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
        var entries = PriceCatalogReader.ReadSection(section);
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
        var (asOf, entries) = PriceCatalogReader.ReadJson(json, sourceName, AsOf, requireAsOf);
        return Apply(asOf, entries, allowModelAliases, sourceName, pascalKeys: false);
    }

    private PriceCatalog Apply(DateOnly asOf, List<PriceEntry> entries, bool allowModelAliases, string sourceName, bool pascalKeys)
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
            if (ModelPriceFields.Build(modelId, key, fields, existing, allowModelAliases, pascalKeys, errors) is { } price)
            {
                merged[modelId] = price;
            }
        }

        if (errors.Count > 0)
        {
            throw PriceCatalogReader.Invalid(sourceName, errors);
        }

        return new PriceCatalog(asOf, merged.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }
}
