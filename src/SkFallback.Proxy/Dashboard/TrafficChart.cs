using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace SkFallback.Proxy.Dashboard;

/// <summary>
/// Draws the traffic history as an inline SVG, on the server: per provider a solid line of attempts and a dashed line
/// of failed attempts per 10-second bucket, a time axis in minutes ago, and a legend. No script, no external asset.
/// </summary>
internal static class TrafficChart
{
    private const int Width = 720;
    private const int Height = 220;
    private const int Left = 40;
    private const int Right = 150;
    private const int Top = 12;
    private const int Bottom = 28;
    private static readonly int[] LabelSteps = [1, 2, 5, 10, 15, 30];
    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

    /// <summary>Writes the chart.</summary>
    /// <param name="html">Where the SVG goes.</param>
    /// <param name="series">Each provider's attempts and failures per bucket, oldest first.</param>
    /// <param name="buckets">The number of buckets.</param>
    public static void Write(StringBuilder html, IReadOnlyList<(string Provider, int[] Attempts, int[] Failures)> series, int buckets)
    {
        var max = 1;
        foreach (var (_, attempts, _) in series)
        {
            max = Math.Max(max, attempts.Length == 0 ? 0 : attempts.Max());
        }

        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(int bucket) => Left + (buckets <= 1 ? 0 : bucket * plotWidth / (double)(buckets - 1));
        double Y(int value) => Top + plotHeight - (value * plotHeight / (double)max);

        html.Append(CultureInfo.InvariantCulture, $"<svg id=\"traffic-chart\" role=\"img\" aria-label=\"Attempts and failures per provider\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\">");
        Axes(html, max, buckets, X, Y, plotHeight);
        for (var i = 0; i < series.Count; i++)
        {
            var (provider, attempts, failures) = series[i];
            var colour = Colours[i % Colours.Length];
            Line(html, attempts, colour, dashed: false, X, Y, provider, "attempts");
            Line(html, failures, colour, dashed: true, X, Y, provider, "failures");
            var legendY = Top + 14 + (i * 18);
            html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Width - Right + 12}\" y1=\"{legendY - 4}\" x2=\"{Width - Right + 32}\" y2=\"{legendY - 4}\" stroke=\"{colour}\" stroke-width=\"2\"/>");
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right + 38}\" y=\"{legendY}\" font-size=\"12\">{HtmlEncoder.Default.Encode(provider)}</text>");
        }

        var noteY = Top + 14 + (series.Count * 18) + 6;
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right + 12}\" y=\"{noteY}\" font-size=\"11\" fill=\"#555\">solid: attempts</text>");
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right + 12}\" y=\"{noteY + 14}\" font-size=\"11\" fill=\"#555\">dashed: failed</text>");
        html.Append("</svg>");
    }

    private static void Axes(StringBuilder html, int max, int buckets, Func<int, double> x, Func<int, double> y, int plotHeight)
    {
        html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top + plotHeight}\" x2=\"{x(buckets - 1):0.#}\" y2=\"{Top + plotHeight}\" stroke=\"#999\"/>");
        html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotHeight}\" stroke=\"#999\"/>");
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y(max) + 4:0.#}\" font-size=\"11\" text-anchor=\"end\">{max}</text>");
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y(0) + 4:0.#}\" font-size=\"11\" text-anchor=\"end\">0</text>");
        // A label every 1, 2, 5, 10, 15 or 30 minutes: whichever keeps them to about six.
        var bucketsPerMinute = (int)(TimeSpan.FromMinutes(1) / TrafficHistory.BucketWidth);
        var minutes = Math.Max(1, buckets / bucketsPerMinute);
        var step = LabelSteps.FirstOrDefault(s => minutes / s <= 6, 30);
        for (var b = buckets - 1; b >= 0; b -= bucketsPerMinute * step)
        {
            var minutesAgo = (buckets - 1 - b) / bucketsPerMinute;
            var label = minutesAgo == 0 ? "now" : $"-{minutesAgo} min";
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{x(b):0.#}\" y=\"{Top + plotHeight + 18}\" font-size=\"11\" text-anchor=\"middle\">{label}</text>");
        }
    }

    private static void Line(StringBuilder html, int[] values, string colour, bool dashed, Func<int, double> x, Func<int, double> y, string provider, string what)
    {
        html.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series\" data-provider=\"{HtmlEncoder.Default.Encode(provider)}\" data-series=\"{what}\" data-total=\"{values.Sum()}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"5 4\"" : string.Empty)} points=\"");
        for (var b = 0; b < values.Length; b++)
        {
            html.Append(CultureInfo.InvariantCulture, $"{x(b):0.#},{y(values[b]):0.#} ");
        }

        html.Append("\"/>");
    }
}
