using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SkFallback.Simulator.Content;

/// <summary>Reads text out of the content shapes both wires use: a string, or an array of parts with <c>text</c>.</summary>
internal static class JsonText
{
    public static string? Of(JsonNode? content)
    {
        switch (content)
        {
            case null:
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return value.GetValue<string>();
            case JsonArray parts:
                StringBuilder? builder = null;
                foreach (var part in parts)
                {
                    if (part is JsonObject obj && obj["text"] is JsonValue text && text.GetValueKind() == JsonValueKind.String)
                    {
                        (builder ??= new StringBuilder()).Append(text.GetValue<string>());
                    }
                }

                return builder?.ToString();
            default:
                return null;
        }
    }

    public static string? String(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static bool Bool(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.True;

    public static int? Int(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var number) ? number : null;
}
