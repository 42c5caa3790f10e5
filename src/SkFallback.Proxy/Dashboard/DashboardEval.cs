using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace SkFallback.Proxy.Dashboard;

/// <summary>The dashboard's last-evaluation panel.</summary>
internal static class DashboardEval
{
    /// <summary>Writes the panel.</summary>
    /// <param name="html">Where it goes.</param>
    /// <param name="eval">The last run, if one is configured and readable.</param>
    public static void Write(StringBuilder html, EvalResult? eval)
    {
        var encode = HtmlEncoder.Default;
        html.Append("<section id=\"eval\"><h2>Last evaluation</h2>");
        if (eval is null)
        {
            html.Append("<p class=\"none\">No evaluation run: set <code>SkFallback:Proxy:Dashboard:EvalRunFile</code> to the file <code>skfallback eval run</code> writes.</p></section>");
            return;
        }

        html.Append("<p>").Append(encode.Encode(eval.Dataset ?? "golden set"))
            .Append(eval.StartedAt is { } at ? ", started " + encode.Encode(at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)) : string.Empty)
            .Append("</p><table><thead><tr><th>target</th><th>kind</th><th>models</th><th>cases</th><th>passed</th><th>mean score</th><th>p50</th><th>cost</th></tr></thead><tbody>");
        foreach (var row in eval.Targets)
        {
            html.Append("<tr class=\"eval-target\" data-target=\"").Append(encode.Encode(row.Target)).Append("\"><td>").Append(encode.Encode(row.Target)).Append("</td><td>")
                .Append(encode.Encode(row.Kind ?? "")).Append("</td><td>").Append(encode.Encode(row.Models ?? "")).Append("</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{row.Cases:0}</td><td>{row.PassRate:P0}</td><td>{row.MeanScore:0.00}</td><td>{row.LatencyP50Ms:0} ms</td><td>{row.CostUsd:0.####} USD</td></tr>");
        }

        html.Append("</tbody></table></section>");
    }
}
