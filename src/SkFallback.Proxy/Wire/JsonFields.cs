using System.Text.Json;

namespace SkFallback.Proxy.Wire;

/// <summary>Typed reads of request fields that fail with a 400 naming the parameter and the type it should have.</summary>
internal static class JsonFields
{
    /// <summary>Whether a field is present and not null.</summary>
    public static bool TryGet(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>A required string.</summary>
    public static string RequiredString(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
        {
            throw new GatewayException(GatewayError.Invalid(path, $"Missing required parameter: '{path}'.", "missing_required_parameter"));
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(path, "a string", value);
    }

    /// <summary>An optional string.</summary>
    public static string? String(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(path, "a string", value);
    }

    /// <summary>An optional boolean.</summary>
    public static bool? Bool(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(path, "a boolean", value),
        };
    }

    /// <summary>An optional number within a range.</summary>
    public static double? Number(JsonElement obj, string name, string path, double min, double max)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw WrongType(path, "a number", value);
        }

        var number = value.GetDouble();
        if (number < min || number > max)
        {
            throw new GatewayException(GatewayError.Invalid(path, FormattableString.Invariant($"Invalid '{path}': {number} is out of range; expected a value between {min} and {max}."), "invalid_value"));
        }

        return number;
    }

    /// <summary>An optional integer within a range.</summary>
    public static long? Integer(JsonElement obj, string name, string path, long min, long max)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            throw WrongType(path, "an integer", value);
        }

        if (number < min || number > max)
        {
            throw new GatewayException(GatewayError.Invalid(path, FormattableString.Invariant($"Invalid '{path}': {number} is out of range; expected a value between {min} and {max}."), "invalid_value"));
        }

        return number;
    }

    /// <summary>An optional object.</summary>
    public static JsonElement? Object(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Object ? value : throw WrongType(path, "an object", value);
    }

    /// <summary>An optional array.</summary>
    public static JsonElement? Array(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Array ? value : throw WrongType(path, "an array", value);
    }

    /// <summary>A 400 for a value of the wrong JSON type.</summary>
    public static GatewayException WrongType(string path, string expected, JsonElement value) =>
        new(GatewayError.Invalid(path, $"Invalid type for '{path}': expected {expected}, but got {Describe(value.ValueKind)} instead.", "invalid_type"));

    /// <summary>A 400 for a feature the gateway does not serve.</summary>
    public static GatewayException Unsupported(string path, string message) =>
        new(GatewayError.Invalid(path, message, "unsupported_parameter"));

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
