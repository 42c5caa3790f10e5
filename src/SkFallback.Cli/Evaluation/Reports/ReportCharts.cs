using ScottPlot;
using SkFallback.Cli.Evaluation.Runs;

namespace SkFallback.Cli.Evaluation.Reports;

/// <summary>
/// The report's charts, one bar per target: quality (pass rate), latency (p50 and p95) and cost. SVG needs no native
/// font lookup at render time; PNG goes through SkiaSharp's bundled Linux natives (both checked headless here).
/// </summary>
internal static class ReportCharts
{
    /// <summary>The chart formats.</summary>
    public static readonly IReadOnlyList<string> Formats = ["svg", "png"];

    private const int Width = 720;
    private const int Height = 360;

    /// <summary>Writes the three charts into <paramref name="folder"/>; returns their file names.</summary>
    public static IReadOnlyList<(string Title, string File)> Write(IReadOnlyList<TargetSummary> targets, string folder, string format)
    {
        var labels = targets.Select(t => t.Target).ToArray();
        var charts = new List<(string, string)>
        {
            Save(Bars("Quality (pass rate, %)", labels, [targets.Select(t => t.PassRate * 100).ToArray()], ["pass rate"]), folder, "quality", format),
            Save(Bars("Latency (ms)", labels, [targets.Select(t => t.LatencyP50Ms).ToArray(), targets.Select(t => t.LatencyP95Ms).ToArray()], ["p50", "p95"]), folder, "latency", format),
            Save(Bars("Cost (US$ for the set)", labels, [targets.Select(t => (double)t.CostUsd).ToArray()], ["cost"]), folder, "cost", format),
        };
        return charts;
    }

    private static Plot Bars(string title, string[] labels, double[][] series, string[] names)
    {
        var plot = new Plot();
        plot.Title(title);
        var palette = new ScottPlot.Palettes.Category10();
        var groupWidth = 0.8;
        var barWidth = groupWidth / series.Length;
        for (var s = 0; s < series.Length; s++)
        {
            var bars = new List<Bar>();
            for (var i = 0; i < labels.Length; i++)
            {
                var position = i - (groupWidth / 2) + (barWidth * (s + 0.5));
                bars.Add(new Bar { Position = position, Value = series[s][i], Size = barWidth * 0.9, FillColor = palette.GetColor(s) });
            }

            var plotted = plot.Add.Bars(bars);
            plotted.LegendText = names[s];
        }

        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, labels.Length).Select(i => (double)i)], labels);
        plot.Axes.Margins(bottom: 0);
        if (series.Length > 1)
        {
            plot.ShowLegend(Alignment.UpperLeft);
        }

        return plot;
    }

    private static (string, string) Save(Plot plot, string folder, string name, string format)
    {
        var file = $"{name}.{format}";
        var path = Path.Combine(folder, file);
        if (format == "png")
        {
            plot.SavePng(path, Width, Height);
        }
        else
        {
            File.WriteAllText(path, plot.GetSvgXml(Width, Height));
        }

        return (plot.Axes.Title.Label.Text, file);
    }
}
