using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkFallback.Proxy.Wire;

/// <summary>Tool-call arguments between the wires' JSON and <see cref="FunctionCallContent.Arguments"/>.</summary>
internal static class ToolArguments
{
    /// <summary>Reads an arguments object.</summary>
    /// <param name="arguments">A JSON object.</param>
    /// <returns>The arguments, each value a <see cref="JsonElement"/>.</returns>
    public static Dictionary<string, object?> FromObject(JsonElement arguments)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in arguments.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }

    /// <summary>Reads arguments sent as a JSON string (the OpenAI wire).</summary>
    /// <param name="json">The text.</param>
    /// <param name="path">The parameter path for errors.</param>
    /// <returns>The arguments.</returns>
    public static Dictionary<string, object?> FromString(string json, string path)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return new Dictionary<string, object?>(StringComparer.Ordinal);
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new GatewayException(GatewayError.Invalid(path, $"Invalid '{path}': the arguments must be a JSON object.", "invalid_value"));
            }

            return FromObject(document.RootElement);
        }
        catch (JsonException)
        {
            throw new GatewayException(GatewayError.Invalid(path, $"Invalid '{path}': the arguments are not valid JSON.", "invalid_value"));
        }
    }

    /// <summary>Writes arguments as a JSON object.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="arguments">The arguments.</param>
    public static void Write(Utf8JsonWriter writer, IDictionary<string, object?>? arguments)
    {
        writer.WriteStartObject();
        if (arguments is not null)
        {
            foreach (var (name, value) in arguments)
            {
                writer.WritePropertyName(name);
                WriteValue(writer, value);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes arguments as the JSON text the OpenAI wire carries in a string.</summary>
    /// <param name="arguments">The arguments.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(IDictionary<string, object?>? arguments)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, arguments);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            default:
                JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType())).WriteTo(writer);
                break;
        }
    }
}
