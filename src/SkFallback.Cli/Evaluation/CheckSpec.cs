using System.Text.Json.Nodes;

namespace SkFallback.Cli.Evaluation;

/// <summary>One check of a golden case as written in the set: its type and its settings.</summary>
/// <param name="Type">The check type (<c>exact</c>, <c>contains</c>, <c>regex</c>, <c>json_schema</c>, <c>tool_call</c>, <c>similarity</c>, <c>judge</c>).</param>
/// <param name="Settings">The check object as written, type included.</param>
internal sealed record CheckSpec(string Type, JsonObject Settings)
{
    /// <summary>The check types a set may use.</summary>
    public static readonly IReadOnlyList<string> Types = ["exact", "contains", "regex", "json_schema", "tool_call", "similarity", "judge"];

    /// <summary>Gets a string setting, or <paramref name="fallback"/>.</summary>
    public string? String(string key, string? fallback = null) =>
        Settings[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : fallback;

    /// <summary>Gets a number setting, or <paramref name="fallback"/>.</summary>
    public double Number(string key, double fallback) =>
        Settings[key] is JsonValue value && value.TryGetValue<double>(out var number) ? number : fallback;

    /// <summary>Gets a boolean setting, or <paramref name="fallback"/>.</summary>
    public bool Flag(string key, bool fallback) =>
        Settings[key] is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : fallback;
}
