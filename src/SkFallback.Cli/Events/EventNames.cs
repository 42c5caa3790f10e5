using System.Globalization;
using System.Text.Json;
using SkFallback.Events;

namespace SkFallback.Cli.Events;

/// <summary>How events are named on the command line and in tables: outcomes in the log's snake_case, reasons by <see cref="FailureKind"/> name, times.</summary>
internal static class EventNames
{
    /// <summary>The outcome as the log writes it (<c>fell_back</c>).</summary>
    public static string Outcome(FallbackEventOutcome outcome) => JsonSerializer.Serialize(outcome).Trim('"');

    /// <summary>The outcomes as the log writes them.</summary>
    public static IReadOnlyList<string> Outcomes { get; } = [.. Enum.GetValues<FallbackEventOutcome>().Select(Outcome)];

    /// <summary>Whether the outcome is a fallback event (an attempt failed, was skipped or lost a race, and another answered or none did).</summary>
    public static bool IsFallback(FallbackEventOutcome outcome) =>
        outcome is FallbackEventOutcome.FellBack or FallbackEventOutcome.Continued or FallbackEventOutcome.Hedged or FallbackEventOutcome.Refused or FallbackEventOutcome.Exhausted;

    /// <summary>Reads an outcome name; a usage error listing the names otherwise.</summary>
    public static FallbackEventOutcome ParseOutcome(string text)
    {
        foreach (var outcome in Enum.GetValues<FallbackEventOutcome>())
        {
            if (string.Equals(Outcome(outcome), text, StringComparison.OrdinalIgnoreCase) || string.Equals(outcome.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                return outcome;
            }
        }

        throw new CliUsageException($"--outcome '{text}' is not one of {string.Join(", ", Outcomes)}");
    }

    /// <summary>Reads a failure reason (<see cref="FailureKind"/> name, any case); a usage error listing the names otherwise.</summary>
    public static FailureKind ParseReason(string text) =>
        Enum.TryParse<FailureKind>(text, ignoreCase: true, out var reason) && !int.TryParse(text, out _)
            ? reason
            : throw new CliUsageException($"--reason '{text}' is not one of {string.Join(", ", Enum.GetNames<FailureKind>())}");

    /// <summary>
    /// Reads a time: ISO 8601 (<c>2026-12-04T18:00:00Z</c>; without an offset, UTC) or an age before <paramref name="now"/>
    /// (<c>30m</c>, <c>2h</c>, <c>7d</c>, <c>90s</c>).
    /// </summary>
    public static DateTimeOffset ParseTime(string text, DateTimeOffset now, string option)
    {
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            TimeSpan? age = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (age is { } ago)
            {
                return now - ago;
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new CliUsageException($"{option} '{text}' is neither a time (2026-12-04T18:00:00Z) nor an age (30m, 2h, 7d)");
    }

    /// <summary>The attempts of an event as one line: <c>primary RateLimited 429 → backup ok</c>.</summary>
    public static string Path(FallbackEvent e) => string.Join(" -> ", e.Attempts.Select(a =>
        a.Reason == FailureKind.None && !a.Skipped
            ? a.Provider + " ok"
            : $"{a.Provider} {(a.Skipped ? "skipped " : string.Empty)}{a.Reason}{(a.StatusCode is { } status ? " " + status.ToString(CultureInfo.InvariantCulture) : string.Empty)}"));

    /// <summary>
    /// A short id for tables: the last 12 of the 32 hex digits (a version 7 UUID starts with its millisecond, so calls
    /// of the same moment share a prefix; the end is random). <c>events show</c> takes any unique prefix or suffix.
    /// </summary>
    public static string ShortId(string id) => id.Length > 12 ? id[^12..] : id;
}
