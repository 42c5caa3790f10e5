using System.Globalization;
using SkFallback.Cli.Evaluation.Runs;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Eval;

/// <summary>The per-target table people read after a run: quality coloured, latency, cost, pinned models.</summary>
internal static class SummaryTable
{
    /// <summary>Builds the table.</summary>
    public static Table Of(IReadOnlyList<TargetSummary> targets)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("target", "kind", "models", "passed", "quality", "score", "p50 ms", "p95 ms", "first chunk p50 ms", "cost $", "errors");
        foreach (var t in targets)
        {
            table.AddRow(
                Markup.Escape(t.Target),
                t.Kind,
                Markup.Escape(string.Join(", ", t.Models.Count > 0 ? t.Models : t.ConfiguredModels)),
                Invariant($"{t.Passed}/{t.Cases}"),
                $"[{Colour(t.PassRate)}]{Invariant($"{t.PassRate * 100:0}%")}[/]",
                Invariant($"{t.MeanScore:0.00}"),
                Invariant($"{t.LatencyP50Ms:0}"),
                Invariant($"{t.LatencyP95Ms:0}"),
                t.FirstChunkP50Ms is { } first ? Invariant($"{first:0}") : "-",
                Invariant($"{t.CostUsd:0.######}"),
                t.Errors == 0 ? "0" : $"[red]{t.Errors}[/]");
        }

        return table;
    }

    /// <summary>Green from 90%, yellow from 70%, red below.</summary>
    public static string Colour(double rate) => rate >= 0.9 ? "green" : rate >= 0.7 ? "yellow" : "red";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
