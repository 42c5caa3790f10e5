using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkFallback.Cost;

/// <summary>
/// The prompt tokens of a tool by the OpenAI cookbook's function counting method (<c>num_tokens_for_tools</c>), with
/// the documented fallbacks for schema shapes it does not cover (see <see cref="TokenEstimator"/>), counted once per
/// tool instance and encoding.
/// </summary>
internal sealed class ToolTokens
{
    // OpenAI cookbook, num_tokens_for_tools: func_init per model group, prop_init, prop_key, enum_init, enum_item, func_end.
    internal const int FunctionTokensO200k = 7;
    internal const int FunctionTokensCl100k = 10;
    internal const int PropertiesTokens = 3;
    internal const int PropertyTokens = 3;
    internal const int EnumTokens = -3;
    internal const int EnumItemTokens = 3;
    internal const int FunctionsEndTokens = 12;

    // Nested object properties deeper than this are not counted (a bound on work; JSON schemas are trees, not graphs).
    private const int MaxSchemaDepth = 16;

    private readonly ConditionalWeakTable<AITool, Counts> _counts = [];

    /// <summary>The tokens of one tool with the encoding of <paramref name="cl100k"/> (remembered per tool instance).</summary>
    public int Count(TiktokenEncoding tokenizer, bool cl100k, AITool tool)
    {
        // A schema is read and counted once per tool instance and encoding; tools are long-lived and immutable.
        var counts = _counts.GetValue(tool, static _ => new Counts());
        var known = cl100k ? Volatile.Read(ref counts.Cl100k) : Volatile.Read(ref counts.O200k);
        if (known != Counts.NotCounted)
        {
            return known;
        }

        int count;
        if (tool is AIFunctionDeclaration function)
        {
            count = (cl100k ? FunctionTokensCl100k : FunctionTokensO200k)
                + CountLine(tokenizer, function.Name, null, WithoutFinalPeriod(function.Description))
                + CountSchema(tokenizer, function.JsonSchema);
        }
        else
        {
            count = TokenEstimator.TokensPerTool + tokenizer.CountTokens(tool.Name) + CountText(tokenizer, tool.Description);
        }

        Volatile.Write(ref cl100k ? ref counts.Cl100k : ref counts.O200k, count);
        return count;
    }

    private static int CountSchema(TiktokenEncoding tokenizer, JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return schema.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? 0 : tokenizer.CountTokens(schema.GetRawText());
        }

        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            return CountProperties(tokenizer, properties, 0);
        }

        // No properties: keywords that render nothing leave the function bare; anything else (anyOf, $ref...) counts as JSON.
        foreach (var keyword in schema.EnumerateObject())
        {
            if (keyword.Name is not ("type" or "required" or "additionalProperties" or "$schema" or "title" or "description" or "properties"))
            {
                return tokenizer.CountTokens(schema.GetRawText());
            }
        }

        return 0;
    }

    private static int CountProperties(TiktokenEncoding tokenizer, JsonElement properties, int depth)
    {
        var count = 0;
        foreach (var property in properties.EnumerateObject())
        {
            if (count == 0)
            {
                count = PropertiesTokens;
            }

            count += CountProperty(tokenizer, property.Name, property.Value, depth);
        }

        return count;
    }

    private static int CountProperty(TiktokenEncoding tokenizer, string name, JsonElement schema, int depth)
    {
        var count = PropertyTokens;
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("type", out var type))
        {
            // Outside the published method: the property's whole JSON stands in for its type and description.
            return count + CountLine(tokenizer, name, null, schema.GetRawText());
        }

        if (schema.TryGetProperty("enum", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            count += EnumTokens;
            foreach (var item in items.EnumerateArray())
            {
                count += EnumItemTokens + (item.ValueKind == JsonValueKind.String
                    ? CountText(tokenizer, item.GetString())
                    : tokenizer.CountTokens(item.GetRawText()));
            }
        }

        var description = schema.TryGetProperty("description", out var text) && text.ValueKind == JsonValueKind.String
            ? WithoutFinalPeriod(text.GetString())
            : null;
        count += CountLine(tokenizer, name, TypeText(type), description);

        if (depth < MaxSchemaDepth)
        {
            if (schema.TryGetProperty("properties", out var nested) && nested.ValueKind == JsonValueKind.Object)
            {
                count += CountProperties(tokenizer, nested, depth + 1);
            }
            else if (schema.TryGetProperty("items", out var element) && element.ValueKind == JsonValueKind.Object
                && element.TryGetProperty("properties", out nested) && nested.ValueKind == JsonValueKind.Object)
            {
                count += CountProperties(tokenizer, nested, depth + 1);
            }
        }

        return count;
    }

    private static string TypeText(JsonElement type)
    {
        if (type.ValueKind == JsonValueKind.String)
        {
            return type.GetString() ?? string.Empty;
        }

        if (type.ValueKind != JsonValueKind.Array)
        {
            return type.GetRawText();
        }

        var names = new List<string>(type.GetArrayLength());
        foreach (var item in type.EnumerateArray())
        {
            names.Add(item.ValueKind == JsonValueKind.String ? item.GetString() ?? string.Empty : item.GetRawText());
        }

        return string.Join(" | ", names);
    }

    // "name:tail" when middle is null, "name:middle" when tail is null, otherwise "name:middle:tail".
    private static int CountLine(TiktokenEncoding tokenizer, string name, string? middle, string? tail)
    {
        var line = middle is null ? string.Concat(name, ":", tail)
            : tail is null ? string.Concat(name, ":", middle)
            : string.Concat(name, ":", middle, ":", tail);
        return tokenizer.CountTokens(line);
    }

    private static int CountText(TiktokenEncoding tokenizer, string? text) => string.IsNullOrEmpty(text) ? 0 : tokenizer.CountTokens(text);

    private static string WithoutFinalPeriod(string? text) =>
        string.IsNullOrEmpty(text) ? string.Empty : text[^1] == '.' ? text[..^1] : text;

    private sealed class Counts
    {
        public const int NotCounted = int.MinValue;

        public int O200k = NotCounted;
        public int Cl100k = NotCounted;
    }
}
