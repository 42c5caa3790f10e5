using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace SkFallback.Cli.Evaluation;

/// <summary>
/// Reads a golden set: JSON Lines, one case a line,
/// <c>{"id":"fr","messages":[{"role":"user","content":"Capital of France?"}],"expected":"Paris","checks":[{"type":"contains"}],"tags":["geo"]}</c>
/// (<c>"prompt":"..."</c> is short for one user message; with no <c>checks</c>, <c>exact</c> against <c>expected</c>).
/// Blank lines and lines starting with <c>//</c> are skipped. Every problem names the line and the field.
/// </summary>
internal static class GoldenSetReader
{
    /// <summary>Reads a set from a file.</summary>
    public static async Task<IReadOnlyList<GoldenCase>> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(path, cancellationToken);
        return Read(text, Path.GetFileName(path));
    }

    /// <summary>Reads a set from its text; <paramref name="source"/> names it in messages.</summary>
    public static IReadOnlyList<GoldenCase> Read(string text, string source)
    {
        var cases = new List<GoldenCase>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            var where = string.Create(CultureInfo.InvariantCulture, $"{source}:{i + 1}");
            var golden = ReadCase(Parse(line, where), where, i + 1);
            if (!ids.Add(golden.Id))
            {
                throw new GoldenSetFormatException($"{where}: id '{golden.Id}' is used by an earlier case.");
            }

            cases.Add(golden);
        }

        return cases.Count > 0 ? cases : throw new GoldenSetFormatException($"{source}: the set holds no case.");
    }

    private static JsonObject Parse(string line, string where)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject ?? throw new GoldenSetFormatException($"{where}: a case must be a JSON object.");
        }
        catch (JsonException exception)
        {
            throw new GoldenSetFormatException($"{where}: not JSON ({exception.Message}).", exception);
        }
    }

    private static GoldenCase ReadCase(JsonObject node, string where, int lineNumber)
    {
        var id = Text(node, "id", where) ?? lineNumber.ToString(CultureInfo.InvariantCulture);
        var expected = Text(node, "expected", where);
        var checks = ReadChecks(node, expected, where);
        return new GoldenCase
        {
            Id = id,
            Messages = ReadMessages(node, where),
            Expected = expected,
            Checks = checks,
            Tags = node["tags"] is JsonArray tags ? [.. tags.Select(t => t?.GetValue<string>() ?? string.Empty).Where(t => t.Length > 0)] : [],
            Tools = node["tools"] is JsonArray tools ? [.. tools.Select((t, n) => ReadTool(t, $"{where}: tools[{n}]"))] : [],
        };
    }

    private static List<ChatMessage> ReadMessages(JsonObject node, string where)
    {
        if (Text(node, "prompt", where) is { } prompt)
        {
            return [new ChatMessage(ChatRole.User, prompt)];
        }

        if (node["messages"] is not JsonArray { Count: > 0 } messages)
        {
            throw new GoldenSetFormatException($"{where}: a case needs \"messages\" (a non-empty array) or \"prompt\".");
        }

        var read = new List<ChatMessage>();
        for (var n = 0; n < messages.Count; n++)
        {
            var at = $"{where}: messages[{n}]";
            var role = messages[n] is JsonObject m ? Text(m, "role", at) : null;
            var content = messages[n] is JsonObject c ? Text(c, "content", at) : null;
            if (role is not ("system" or "user" or "assistant") || content is null)
            {
                throw new GoldenSetFormatException($"{at} needs \"role\" (system, user or assistant) and \"content\" (a string).");
            }

            read.Add(new ChatMessage(new ChatRole(role), content));
        }

        return read;
    }

    private static List<CheckSpec> ReadChecks(JsonObject node, string? expected, string where)
    {
        if (node["checks"] is null)
        {
            return expected is null
                ? throw new GoldenSetFormatException($"{where}: a case needs \"expected\" or \"checks\".")
                : [new CheckSpec("exact", new JsonObject { ["type"] = "exact" })];
        }

        if (node["checks"] is not JsonArray { Count: > 0 } checks)
        {
            throw new GoldenSetFormatException($"{where}: \"checks\" must be a non-empty array.");
        }

        var read = new List<CheckSpec>();
        for (var n = 0; n < checks.Count; n++)
        {
            var at = $"{where}: checks[{n}]";
            if (checks[n] is not JsonObject check || Text(check, "type", at) is not { } type || !CheckSpec.Types.Contains(type))
            {
                throw new GoldenSetFormatException($"{at} needs \"type\", one of {string.Join(", ", CheckSpec.Types)}.");
            }

            var spec = new CheckSpec(type, (JsonObject)check.DeepClone());
            Validate(spec, expected, at);
            read.Add(spec);
        }

        return read;
    }

    /// <summary>Checks each type's settings now, so a bad set fails before any request is sent.</summary>
    private static void Validate(CheckSpec check, string? expected, string at)
    {
        switch (check.Type)
        {
            case "exact" or "contains" or "similarity" when check.String("value", expected) is null:
                throw new GoldenSetFormatException($"{at}: \"{check.Type}\" needs \"value\" or the case's \"expected\".");
            case "similarity" when check.Number("threshold", 0.8) is < -1 or > 1:
                throw new GoldenSetFormatException($"{at}: \"threshold\" must be between -1 and 1.");
            case "regex":
                var pattern = check.String("pattern") ?? throw new GoldenSetFormatException($"{at}: \"regex\" needs \"pattern\".");
                try
                {
                    _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException exception)
                {
                    throw new GoldenSetFormatException($"{at}: \"pattern\" is not a valid regular expression ({exception.Message}).", exception);
                }

                break;
            case "json_schema" when check.Settings["schema"] is not JsonObject:
                throw new GoldenSetFormatException($"{at}: \"json_schema\" needs \"schema\" (an object).");
            case "tool_call" when check.String("name") is null:
                throw new GoldenSetFormatException($"{at}: \"tool_call\" needs \"name\".");
            case "judge" when check.Number("minScore", 4) is < 1 or > 5:
                throw new GoldenSetFormatException($"{at}: \"minScore\" must be between 1 and 5.");
            default:
                break;
        }
    }

    private static AIFunctionDeclaration ReadTool(JsonNode? node, string at)
    {
        if (node is not JsonObject tool || Text(tool, "name", at) is not { } name)
        {
            throw new GoldenSetFormatException($"{at} needs \"name\".");
        }

        var schema = tool["parameters"] is JsonObject parameters
            ? JsonSerializer.SerializeToElement(parameters)
            : JsonSerializer.SerializeToElement(new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() });
        return AIFunctionFactory.CreateDeclaration(name, Text(tool, "description", at), schema);
    }

    private static string? Text(JsonObject node, string key, string where) => node[key] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw new GoldenSetFormatException($"{where}: \"{key}\" must be a string."),
    };
}
