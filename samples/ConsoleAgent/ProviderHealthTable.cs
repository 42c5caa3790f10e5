using System.Globalization;
using SkFallback.CircuitBreaking;
using SkFallback.Health;
using Spectre.Console;

namespace ConsoleAgent;

/// <summary>Renders <see cref="IProviderHealth"/> snapshots as a compact table: one row per provider, in chain order.</summary>
internal static class ProviderHealthTable
{
    /// <summary>
    /// Builds the table; a provider whose breaker changed state since <paramref name="previous"/> is marked ⚡ and its state is bold. It fits
    /// 80 columns: p50/p95 share a column, times are relative to <paramref name="now"/>.
    /// </summary>
    public static Table Build(IReadOnlyList<ProviderHealthSnapshot> current, IReadOnlyList<ProviderHealthSnapshot>? previous, DateTimeOffset now)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn(new TableColumn("provider").PadLeft(0).PadRight(1))
            .AddColumn(new TableColumn("circuit").PadLeft(0).PadRight(1))
            .AddColumn(new TableColumn("fails").RightAligned().PadLeft(0).PadRight(1))
            .AddColumn(new TableColumn("err%").RightAligned().PadLeft(0).PadRight(1))
            .AddColumn(new TableColumn("p50/p95 ms").RightAligned().PadLeft(0).PadRight(1))
            .AddColumn(new TableColumn("last failure (ago)").PadLeft(0).PadRight(0));
        foreach (var snapshot in current)
        {
            var before = previous?.FirstOrDefault(p => p.Provider == snapshot.Provider && p.Model == snapshot.Model);
            var changed = before is not null && before.Circuit != snapshot.Circuit;
            table.AddRow(
                changed ? $"⚡[bold]{Markup.Escape(snapshot.Provider)}[/]" : $"  {Markup.Escape(snapshot.Provider)}",
                Circuit(snapshot, changed, now),
                snapshot.ConsecutiveFailures == 0 ? "0" : $"[red]{snapshot.ConsecutiveFailures}[/]",
                ErrorRate(snapshot),
                Latency(snapshot),
                LastFailure(snapshot, now));
        }

        return table;
    }

    /// <summary>The state as markup, e.g. <c>[red]open[/]</c>.</summary>
    public static string State(CircuitState state) => state switch
    {
        CircuitState.Open => "[red]open[/]",
        CircuitState.HalfOpen => "[yellow]half-open[/]",
        _ => "[green]closed[/]",
    };

    private static string Circuit(ProviderHealthSnapshot snapshot, bool changed, DateTimeOffset now)
    {
        var text = changed ? $"[bold]{State(snapshot.Circuit)}[/]" : State(snapshot.Circuit);
        if (snapshot.Circuit == CircuitState.Open && snapshot.OpenUntil is { } until)
        {
            text += until > now ? $" [grey]probe {Seconds(until - now)}[/]" : " [grey]probe due[/]";
        }

        if (snapshot.CoolingDownUntil is { } coolingUntil && coolingUntil > now)
        {
            text += $" [grey]429 {Seconds(coolingUntil - now)}[/]";
        }

        return text;
    }

    private static string ErrorRate(ProviderHealthSnapshot snapshot) =>
        snapshot.Attempts == 0 ? "[grey]-[/]"
        : snapshot.ErrorRate == 0 ? "0%"
        : string.Create(CultureInfo.InvariantCulture, $"[red]{snapshot.ErrorRate:0%}[/]");

    private static string Latency(ProviderHealthSnapshot snapshot) =>
        snapshot is { LatencyP50: { } p50, LatencyP95: { } p95 }
            ? string.Create(CultureInfo.InvariantCulture, $"{p50.TotalMilliseconds:0}/{p95.TotalMilliseconds:0}")
            : "[grey]-[/]";

    private static string LastFailure(ProviderHealthSnapshot snapshot, DateTimeOffset now) =>
        snapshot.LastFailure is { } kind
            ? snapshot.LastFailureAt is { } at ? $"{kind} [grey]{Seconds(now - at)}[/]" : kind.ToString()
            : "[grey]-[/]";

    private static string Seconds(TimeSpan value) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, value.TotalSeconds):0.0}s");
}
