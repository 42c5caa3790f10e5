using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SkFallback.Cost;

namespace SkFallback.Tests.Cost;

public class PriceCatalogTests
{
    private static readonly string[] KnownKinds =
    [
        ProviderKinds.OpenAI, ProviderKinds.Anthropic, ProviderKinds.Mistral, ProviderKinds.DeepSeek, ProviderKinds.Qwen, ProviderKinds.Gemini,
    ];

    private static MemoryStream Json(string json) => new(Encoding.UTF8.GetBytes(json));

    private static IConfigurationSection Prices(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(PriceCatalog.SectionName);

    private static string Failures(Action action) =>
        string.Join(Environment.NewLine, Assert.Throws<OptionsValidationException>(action).Failures);

    [Fact]
    public void Default_Loads_DatedWithModels()
    {
        var catalog = PriceCatalog.Default;

        Assert.Equal(new DateOnly(2026, 11, 29), catalog.AsOf);
        Assert.NotEmpty(catalog.Models);
        Assert.Same(catalog, PriceCatalog.Default);
    }

    [Fact]
    public void Default_EveryEntry_IsValidAndPinned()
    {
        foreach (var (id, price) in PriceCatalog.Default.Models)
        {
            Assert.Equal(id, price.ModelId);
            Assert.False(FallbackOptionsValidator.IsAlias(id), $"{id} is an alias");
            Assert.DoesNotContain("latest", id, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(price.Provider, KnownKinds);
            Assert.True(price.InputPerMillion > 0, id);
            Assert.True(price.OutputPerMillion > 0, id);
            Assert.True(price.CachedInputPerMillion is null || (price.CachedInputPerMillion > 0 && price.CachedInputPerMillion <= price.InputPerMillion), id);
            Assert.InRange(price.QualityTier, 1, 5);
            Assert.True(price.ContextWindow > 0 && price.MaxOutputTokens > 0 && price.MaxOutputTokens <= price.ContextWindow, id);
            Assert.False(string.IsNullOrWhiteSpace(price.Source), $"{id} has no source");
            Assert.Equal(TokenizerFamily.OpenAIO200k == TokenEstimator.FamilyOf(id), price.Provider == ProviderKinds.OpenAI);
        }
    }

    [Fact]
    public void Default_Gpt4o_HasPublishedPricesAndLimits()
    {
        Assert.True(PriceCatalog.Default.TryGet("gpt-4o-2024-08-06", out var price));

        Assert.Equal(2.50m, price.InputPerMillion);
        Assert.Equal(1.25m, price.CachedInputPerMillion);
        Assert.Equal(10.00m, price.OutputPerMillion);
        Assert.Equal(128_000, price.ContextWindow);
        Assert.Equal(16_384, price.MaxOutputTokens);
        Assert.Equal(ModelCapabilities.Tools | ModelCapabilities.Vision | ModelCapabilities.Json, price.Capabilities);
    }

    [Fact]
    public void Estimate_UnknownModel_ReturnsNull() =>
        Assert.Null(PriceCatalog.Default.Estimate("gpt-4o-latest", 1000, 1000));

    [Fact]
    public void Estimate_KnownModelWithCachedTokens_ExactDecimalArithmetic()
    {
        var cost = PriceCatalog.Default.Estimate("gpt-4o-2024-08-06", promptTokens: 1234, outputTokens: 567, cachedPromptTokens: 200);

        Assert.NotNull(cost);
        Assert.Equal(0.002835m, cost.InputUsd); // (1034 × 2.50 + 200 × 1.25) / 1e6
        Assert.Equal(0.00567m, cost.OutputUsd); // 567 × 10.00 / 1e6
        Assert.Equal(0.008505m, cost.TotalUsd);
        Assert.Equal(1234, cost.PromptTokens);
        Assert.Equal(200, cost.CachedPromptTokens);
        Assert.Equal(567, cost.OutputTokens);
    }

    [Fact]
    public void Estimate_NoCachedPrice_ChargesCachedTokensAtInputPrice()
    {
        var cached = PriceCatalog.Default.Estimate("gpt-4.1-2025-04-14", 1_000_000, 0, cachedPromptTokens: 400_000);
        var uncached = PriceCatalog.Default.Estimate("gpt-4.1-2025-04-14", 1_000_000, 0);

        Assert.Equal(2.00m, cached!.InputUsd);
        Assert.Equal(uncached!.TotalUsd, cached.TotalUsd);
    }

    [Fact]
    public void Estimate_MillionTokensEach_EqualsListPrices()
    {
        var cost = PriceCatalog.Default.Estimate("claude-haiku-4-5-20251001", 1_000_000, 1_000_000);

        Assert.Equal(6.00m, cost!.TotalUsd);
    }

    [Fact]
    public void Estimate_CachedMoreThanPrompt_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PriceCatalog.Default.Estimate("gpt-4o-2024-08-06", 10, 0, cachedPromptTokens: 11));

    [Fact]
    public void Merge_ConfigurationOverride_WinsByModelIdAndKeepsOtherFields()
    {
        var catalog = PriceCatalog.Default.Merge(Prices(new()
        {
            ["SkFallback:Prices:gpt-4o-2024-08-06:InputPerMillion"] = "3.75",
            ["SkFallback:Prices:gpt-4o-2024-08-06:Capabilities:Vision"] = "false",
        }));

        Assert.True(catalog.TryGet("gpt-4o-2024-08-06", out var price));
        Assert.Equal(3.75m, price.InputPerMillion);
        Assert.Equal(10.00m, price.OutputPerMillion);
        Assert.Equal(ModelCapabilities.Tools | ModelCapabilities.Json, price.Capabilities);
        Assert.Equal(2.50m, PriceCatalog.Default.Models["gpt-4o-2024-08-06"].InputPerMillion);
        Assert.Equal(PriceCatalog.Default.Models.Count, catalog.Models.Count);
    }

    [Fact]
    public void Merge_ConfigurationNewCompleteModel_IsAdded()
    {
        var catalog = PriceCatalog.Default.Merge(Prices(new()
        {
            ["SkFallback:Prices:my-model-2026-01-01:Provider"] = "OpenAICompatible",
            ["SkFallback:Prices:my-model-2026-01-01:InputPerMillion"] = "0",
            ["SkFallback:Prices:my-model-2026-01-01:OutputPerMillion"] = "0.5",
            ["SkFallback:Prices:my-model-2026-01-01:ContextWindow"] = "32768",
            ["SkFallback:Prices:my-model-2026-01-01:MaxOutputTokens"] = "4096",
            ["SkFallback:Prices:my-model-2026-01-01:QualityTier"] = "1",
        }));

        Assert.Equal(1.0m, catalog.Estimate("my-model-2026-01-01", 3_000, 2_000_000)!.TotalUsd);
        Assert.Equal(ModelCapabilities.None, catalog.Models["my-model-2026-01-01"].Capabilities);
    }

    [Fact]
    public void Merge_MissingSection_ReturnsSameCatalog() =>
        Assert.Same(PriceCatalog.Default, PriceCatalog.Default.Merge(Prices([])));

    [Fact]
    public void Merge_ConfigurationNegativePrice_FailsNamingKey()
    {
        var failures = Failures(() => PriceCatalog.Default.Merge(Prices(new() { ["SkFallback:Prices:gpt-4o-2024-08-06:OutputPerMillion"] = "-1" })));

        Assert.Contains("SkFallback:Prices:gpt-4o-2024-08-06:OutputPerMillion must be 0 or more (was -1)", failures);
    }

    [Fact]
    public void Merge_ConfigurationNonNumericPrice_FailsNamingKey()
    {
        var failures = Failures(() => PriceCatalog.Default.Merge(Prices(new() { ["SkFallback:Prices:gpt-4o-2024-08-06:InputPerMillion"] = "cheap" })));

        Assert.Contains("SkFallback:Prices:gpt-4o-2024-08-06:InputPerMillion must be a number", failures);
    }

    [Fact]
    public void Merge_ConfigurationLatestAlias_RejectedUnlessAllowed()
    {
        var values = new Dictionary<string, string?>
        {
            ["SkFallback:Prices:gpt-4o-latest:Provider"] = "OpenAI",
            ["SkFallback:Prices:gpt-4o-latest:InputPerMillion"] = "2.5",
            ["SkFallback:Prices:gpt-4o-latest:OutputPerMillion"] = "10",
            ["SkFallback:Prices:gpt-4o-latest:ContextWindow"] = "128000",
            ["SkFallback:Prices:gpt-4o-latest:MaxOutputTokens"] = "16384",
            ["SkFallback:Prices:gpt-4o-latest:QualityTier"] = "4",
        };

        var failures = Failures(() => PriceCatalog.Default.Merge(Prices(values)));
        Assert.Contains("SkFallback:Prices:gpt-4o-latest: 'gpt-4o-latest' is a moving alias", failures);

        var allowed = PriceCatalog.Default.Merge(Prices(values), allowModelAliases: true);
        Assert.True(allowed.TryGet("gpt-4o-latest", out _));
    }

    [Fact]
    public void Merge_ConfigurationIncompleteNewModel_FailsNamingEachMissingKey()
    {
        var failures = Failures(() => PriceCatalog.Default.Merge(Prices(new() { ["SkFallback:Prices:new-model-2026-02-02:InputPerMillion"] = "1" })));

        Assert.Contains("SkFallback:Prices:new-model-2026-02-02:Provider is required", failures);
        Assert.Contains("SkFallback:Prices:new-model-2026-02-02:OutputPerMillion is required", failures);
        Assert.Contains("SkFallback:Prices:new-model-2026-02-02:ContextWindow is required", failures);
        Assert.Contains("SkFallback:Prices:new-model-2026-02-02:MaxOutputTokens is required", failures);
        Assert.Contains("SkFallback:Prices:new-model-2026-02-02:QualityTier is required", failures);
    }

    [Fact]
    public void Merge_ConfigurationBadTierAndUnknownField_FailNamingKeys()
    {
        var failures = Failures(() => PriceCatalog.Default.Merge(Prices(new()
        {
            ["SkFallback:Prices:gpt-4o-2024-08-06:QualityTier"] = "9",
            ["SkFallback:Prices:gpt-4o-2024-08-06:InputPrice"] = "1",
        })));

        Assert.Contains("SkFallback:Prices:gpt-4o-2024-08-06:QualityTier must be a whole number from 1 to 5 (was '9')", failures);
        Assert.Contains("SkFallback:Prices:gpt-4o-2024-08-06:InputPrice is not a known field", failures);
    }

    [Fact]
    public void Merge_UserFile_OverridesById()
    {
        using var file = Json("""
            { "models": { "claude-haiku-4-5-20251001": { "outputPerMillion": 4.5, "qualityTier": 4 } } }
            """);

        var catalog = PriceCatalog.Default.Merge(file, sourceName: "prices.json");

        Assert.Equal(4.5m, catalog.Models["claude-haiku-4-5-20251001"].OutputPerMillion);
        Assert.Equal(4, catalog.Models["claude-haiku-4-5-20251001"].QualityTier);
        Assert.Equal(1.00m, catalog.Models["claude-haiku-4-5-20251001"].InputPerMillion);
    }

    [Fact]
    public void Merge_UserFileNegativeCachedPrice_FailsNamingKey()
    {
        using var file = Json("""{ "models": { "gpt-4o-2024-08-06": { "cachedInputPerMillion": -0.5 } } }""");

        var failures = Failures(() => PriceCatalog.Default.Merge(file, sourceName: "prices.json"));

        Assert.Contains("prices.json:models:gpt-4o-2024-08-06:cachedInputPerMillion must be 0 or more (was -0.5)", failures);
    }

    [Fact]
    public void Load_WithoutAsOf_FailsNamingKey()
    {
        using var file = Json("""{ "models": {} }""");

        Assert.Contains("catalog.json:asOf is required", Failures(() => PriceCatalog.Load(file, sourceName: "catalog.json")));
    }

    [Fact]
    public void Load_MalformedJson_FailsNamingSource()
    {
        using var file = Json("""{ "asOf": "2026-11-29", "models": { """);

        Assert.Contains("catalog.json is not valid JSON", Failures(() => PriceCatalog.Load(file, sourceName: "catalog.json")));
    }

    [Fact]
    public void Load_BadDateAndMaxOutputAboveWindow_FailNamingKeys()
    {
        using var file = Json("""
            { "asOf": "29/11/2026", "models": { "m-2026-01-01": { "provider": "OpenAI", "inputPerMillion": 1, "outputPerMillion": 2,
              "contextWindow": 1000, "maxOutputTokens": 2000, "qualityTier": 2 } } }
            """);

        var failures = Failures(() => PriceCatalog.Load(file, sourceName: "catalog.json"));

        Assert.Contains("catalog.json:asOf must be a date written yyyy-MM-dd", failures);
    }

    [Fact]
    public void Load_MaxOutputAboveWindow_FailsNamingKey()
    {
        using var file = Json("""
            { "asOf": "2026-11-29", "models": { "m-2026-01-01": { "provider": "OpenAI", "inputPerMillion": 1, "outputPerMillion": 2,
              "contextWindow": 1000, "maxOutputTokens": 2000, "qualityTier": 2 } } }
            """);

        var failures = Failures(() => PriceCatalog.Load(file, sourceName: "catalog.json"));

        Assert.Contains("catalog.json:models:m-2026-01-01:maxOutputTokens (2000) must not exceed", failures);
    }

    [Fact]
    public void Load_ValidFile_ReplacesEmbeddedEntirely()
    {
        using var file = Json("""
            { "asOf": "2026-10-01", "models": { "m-2026-01-01": { "provider": "OpenAI", "inputPerMillion": 1, "outputPerMillion": 2,
              "contextWindow": 1000, "maxOutputTokens": 500, "capabilities": { "tools": true }, "qualityTier": 2 } } }
            """);

        var catalog = PriceCatalog.Load(file);

        Assert.Equal(new DateOnly(2026, 10, 1), catalog.AsOf);
        Assert.Single(catalog.Models);
        Assert.Equal(ModelCapabilities.Tools, catalog.Models["m-2026-01-01"].Capabilities);
        Assert.Null(catalog.Estimate("gpt-4o-2024-08-06", 1, 1));
    }
}
