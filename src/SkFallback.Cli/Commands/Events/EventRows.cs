using System.Globalization;
using SkFallback.Cli.Events;
using SkFallback.Events;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Events;

/// <summary>The one-line-per-event table of <c>events list</c> and <c>events tail</c>.</summary>
internal static class EventRows
{
    /// <summary>An empty table with the columns.</summary>
    public static Table Table() => new Table().Border(TableBorder.Rounded)
        .AddColumns("time (UTC)", "id", "outcome", "tenant", "answered by", "attempts", "ms", "cost $");

    /// <summary>Adds one event.</summary>
    public static void Add(Table table, FallbackEvent e) => table.AddRow(
        e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        EventNames.ShortId(e.Id),
        $"[{Colour(e.Outcome)}]{EventNames.Outcome(e.Outcome)}[/]",
        Markup.Escape(e.Tenant ?? "-"),
        Markup.Escape(e.Provider is null ? "-" : $"{e.Provider} ({e.Model})"),
        Markup.Escape(EventNames.Path(e)),
        e.DurationMs.ToString("0", CultureInfo.InvariantCulture),
        e.CostUsd is { } cost ? cost.ToString("0.######", CultureInfo.InvariantCulture) : "-");

    /// <summary>One event as one coloured line, for following the log.</summary>
    public static string Line(FallbackEvent e) =>
        $"[grey]{e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}[/] {EventNames.ShortId(e.Id)} [{Colour(e.Outcome)}]{EventNames.Outcome(e.Outcome)}[/] "
        + Markup.Escape($"{e.Tenant ?? "-"} {(e.Provider is null ? "-" : $"{e.Provider} ({e.Model})")} {EventNames.Path(e)} {e.DurationMs.ToString("0", CultureInfo.InvariantCulture)} ms")
        + (e.CostUsd is { } cost ? " $" + cost.ToString("0.######", CultureInfo.InvariantCulture) : string.Empty);

    /// <summary>Green answered, yellow answered after a fallback, red no answer.</summary>
    public static string Colour(FallbackEventOutcome outcome) => outcome switch
    {
        FallbackEventOutcome.Answered => "green",
        FallbackEventOutcome.FellBack or FallbackEventOutcome.Continued or FallbackEventOutcome.Hedged => "yellow",
        FallbackEventOutcome.Cancelled => "grey",
        _ => "red",
    };
}
