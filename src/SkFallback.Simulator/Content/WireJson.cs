using System.Text.Encodings.Web;
using System.Text.Json;

namespace SkFallback.Simulator.Content;

/// <summary>Serializer options for wire bodies: providers send <c>&gt;</c> and <c>'</c> unescaped, and so do we.</summary>
internal static class WireJson
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
