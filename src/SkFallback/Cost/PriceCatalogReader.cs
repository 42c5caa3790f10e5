using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace SkFallback.Cost;

/// <summary>Reads a price source (catalog JSON or a configuration section) into flat <see cref="PriceEntry"/> values, naming the key of each problem.</summary>
internal static class PriceCatalogReader
{
    /// <summary>Reads catalog JSON: its <c>asOf</c> (the later of it and <paramref name="asOf"/>) and its model entries.</summary>
    /// <exception cref="OptionsValidationException">The JSON is malformed or misshapen; the failures name each key.</exception>
    public static (DateOnly AsOf, List<PriceEntry> Entries) ReadJson(Stream json, string sourceName, DateOnly asOf, bool requireAsOf)
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
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(sourceName, [$"{sourceName} must be a JSON object with \"asOf\" and \"models\"."]);
            }

            var errors = new List<string>();
            asOf = ReadAsOf(root, sourceName, asOf, requireAsOf, errors);
            var entries = ReadModels(root, sourceName, errors);
            if (errors.Count > 0)
            {
                throw Invalid(sourceName, errors);
            }

            return (asOf, entries);
        }
    }

    /// <summary>Reads a configuration section whose children are model ids.</summary>
    public static List<PriceEntry> ReadSection(IConfigurationSection section)
    {
        var entries = new List<PriceEntry>();
        foreach (var model in section.GetChildren())
        {
            var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            Flatten(model, string.Empty, fields);
            entries.Add(new PriceEntry(model.Key, model.Path, fields));
        }

        return entries;
    }

    /// <summary>The exception a price source's problems are reported by.</summary>
    public static OptionsValidationException Invalid(string sourceName, IEnumerable<string> errors) =>
        new(sourceName, typeof(PriceCatalog), errors);

    private static DateOnly ReadAsOf(JsonElement root, string sourceName, DateOnly asOf, bool requireAsOf, List<string> errors)
    {
        if (TryProperty(root, "asOf", out var asOfElement))
        {
            if (asOfElement.ValueKind == JsonValueKind.String
                && DateOnly.TryParseExact(asOfElement.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                return parsed > asOf ? parsed : asOf;
            }

            errors.Add($"{sourceName}:asOf must be a date written yyyy-MM-dd (was {asOfElement.GetRawText()}).");
        }
        else if (requireAsOf)
        {
            errors.Add($"{sourceName}:asOf is required: the date the prices were checked (yyyy-MM-dd).");
        }

        return asOf;
    }

    private static List<PriceEntry> ReadModels(JsonElement root, string sourceName, List<string> errors)
    {
        var entries = new List<PriceEntry>();
        if (!TryProperty(root, "models", out var models) || models.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{sourceName}:models is required: an object of entries keyed by pinned model id.");
            return entries;
        }

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
            entries.Add(new PriceEntry(model.Name, key, fields));
        }

        return entries;
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
}
