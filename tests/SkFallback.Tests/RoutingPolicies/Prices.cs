using System.Text;
using SkFallback.Cost;

namespace SkFallback.Tests.RoutingPolicies;

/// <summary>A price catalog of three test models whose ids match the fakes of <see cref="Chain"/> (name + "-2024-01-01").</summary>
internal static class Prices
{
    public const string Big = "big-2024-01-01";
    public const string Mid = "mid-2024-01-01";
    public const string Small = "small-2024-01-01";

    public static PriceCatalog Catalog { get; } = Load();

    public static PriceCatalog With(string extraModelsJson) =>
        PriceCatalog.Load(new MemoryStream(Encoding.UTF8.GetBytes(Json(extraModelsJson))), sourceName: "test catalog");

    private static PriceCatalog Load() => With(string.Empty);

    private static string Json(string extra) => $$"""
        {
          "asOf": "2026-11-29",
          "models": {
            "{{Big}}": { "provider": "OpenAI", "inputPerMillion": 10, "outputPerMillion": 30, "contextWindow": 128000, "maxOutputTokens": 4096,
                         "capabilities": { "tools": true, "vision": true, "json": true }, "qualityTier": 5 },
            "{{Mid}}": { "provider": "OpenAI", "inputPerMillion": 1, "outputPerMillion": 4, "contextWindow": 128000, "maxOutputTokens": 4096,
                         "capabilities": { "tools": true, "vision": false, "json": true }, "qualityTier": 3 },
            "{{Small}}": { "provider": "OpenAI", "inputPerMillion": 0.1, "outputPerMillion": 0.4, "contextWindow": 2000, "maxOutputTokens": 1000,
                           "capabilities": { "tools": false, "vision": false, "json": false }, "qualityTier": 1 }{{(extra.Length > 0 ? "," + extra : string.Empty)}}
          }
        }
        """;
}
