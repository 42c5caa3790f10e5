using System.Text.Json;

namespace SkFallback.Proxy.Dashboard;

/// <summary>The last evaluation run (<c>skfallback eval run</c>'s run file), as the dashboard shows it: one row per target.</summary>
/// <param name="StartedAt">When the run started.</param>
/// <param name="Dataset">The golden set it ran.</param>
/// <param name="Targets">Per provider (and the chain as a whole): pass rate, mean score, latency, cost.</param>
internal sealed record EvalResult(DateTimeOffset? StartedAt, string? Dataset, IReadOnlyList<EvalTargetRow> Targets)
{
    /// <summary>Reads a run file; <see langword="null"/> when it is missing or not a run file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The result.</returns>
    public static EvalResult? TryRead(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Property(root, "targets") is not { ValueKind: JsonValueKind.Array } targets)
            {
                return null;
            }

            var rows = new List<EvalTargetRow>();
            foreach (var target in targets.EnumerateArray())
            {
                rows.Add(new EvalTargetRow(
                    Text(target, "target") ?? "?",
                    Text(target, "kind"),
                    Property(target, "models") is { ValueKind: JsonValueKind.Array } models ? string.Join(", ", models.EnumerateArray().Select(m => m.ToString())) : null,
                    Number(target, "cases"),
                    Number(target, "passRate"),
                    Number(target, "meanScore"),
                    Number(target, "latencyP50Ms"),
                    Number(target, "costUsd")));
            }

            var started = Property(root, "startedAt") is { ValueKind: JsonValueKind.String } s && s.TryGetDateTimeOffset(out var at) ? at : (DateTimeOffset?)null;
            return new EvalResult(started, Text(root, "dataset"), rows);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Finds a property whatever the case of its name (the run file is camelCase; a hand-written one may not be).</summary>
    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    private static string? Text(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static double? Number(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Number } value ? value.GetDouble() : null;
}
