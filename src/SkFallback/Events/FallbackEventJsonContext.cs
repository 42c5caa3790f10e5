using System.Text.Json.Serialization;

namespace SkFallback.Events;

/// <summary>The source-generated serializer of the event format: snake_case names, nulls left out, compact (one line per event).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(FallbackEvent))]
[JsonSerializable(typeof(string))]
internal sealed partial class FallbackEventJsonContext : JsonSerializerContext
{
}
