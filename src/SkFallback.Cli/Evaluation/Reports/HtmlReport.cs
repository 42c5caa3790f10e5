using System.Globalization;
using System.Net;
using System.Text;
using SkFallback.Cli.Evaluation.Runs;

namespace SkFallback.Cli.Evaluation.Reports;

/// <summary>The report page: the run's summary table, its charts, and each target's failing cases with the reasons.</summary>
internal static class HtmlReport
{
    /// <summary>Renders the page; chart files are referenced relative to it.</summary>
    public static string Render(EvalRun run, IReadOnlyList<(string Title, string File)> charts)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SkFallback evaluation: ")
            .Append(Encode(run.Dataset)).Append("</title>\n<style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}")
            .Append("td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}th{background:#f4f4f4}")
            .Append(".pass{color:#1a7f37}.fail{color:#cf222e}figure{display:inline-block;margin:.5rem}")
            .Append("</style></head><body>\n");
        html.Append("<h1>Evaluation of ").Append(Encode(run.Dataset)).Append("</h1>\n<p>")
            .Append(Invariant($"{run.CaseCount} cases, started {run.StartedAt:u}")).Append(run.Offline ? ", offline (built-in simulator)" : string.Empty).Append(".</p>\n");
        AppendSummary(html, run.Targets);
        foreach (var (title, file) in charts)
        {
            html.Append("<figure><img src=\"").Append(Encode(file)).Append("\" alt=\"").Append(Encode(title)).Append("\" width=\"720\" height=\"360\"></figure>\n");
        }

        AppendFailures(html, run);
        return html.Append("</body></html>\n").ToString();
    }

    private static void AppendSummary(StringBuilder html, IReadOnlyList<TargetSummary> targets)
    {
        html.Append("<table><tr><th>target</th><th>kind</th><th>models</th><th>passed</th><th>quality</th><th>mean score</th><th>p50 ms</th><th>p95 ms</th><th>first chunk p50 ms</th><th>cost $</th><th>errors</th></tr>\n");
        foreach (var t in targets)
        {
            html.Append("<tr><td>").Append(Encode(t.Target)).Append("</td><td>").Append(t.Kind)
                .Append("</td><td>").Append(Encode(string.Join(", ", t.Models.Count > 0 ? t.Models : t.ConfiguredModels)))
                .Append("</td><td>").Append(Invariant($"{t.Passed}/{t.Cases}"))
                .Append("</td><td class=\"").Append(t.PassRate >= 0.9 ? "pass" : "fail").Append("\">").Append(Invariant($"{t.PassRate * 100:0}%"))
                .Append("</td><td>").Append(Invariant($"{t.MeanScore:0.00}"))
                .Append("</td><td>").Append(Invariant($"{t.LatencyP50Ms:0}"))
                .Append("</td><td>").Append(Invariant($"{t.LatencyP95Ms:0}"))
                .Append("</td><td>").Append(t.FirstChunkP50Ms is { } first ? Invariant($"{first:0}") : "-")
                .Append("</td><td>").Append(Invariant($"{t.CostUsd:0.######}"))
                .Append("</td><td>").Append(t.Errors.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static void AppendFailures(StringBuilder html, EvalRun run)
    {
        html.Append("<h2>Failing cases</h2>\n");
        var failures = run.Results.Where(r => !r.Passed).ToList();
        if (failures.Count == 0)
        {
            html.Append("<p class=\"pass\">Every case passed on every target.</p>\n");
            return;
        }

        html.Append("<table><tr><th>target</th><th>case</th><th>model</th><th>why</th><th>answer</th></tr>\n");
        foreach (var r in failures)
        {
            var why = r.Error ?? string.Join("; ", r.Checks.Where(c => !c.Passed).Select(c => c.Check + ": " + c.Reason));
            html.Append("<tr><td>").Append(Encode(r.Target)).Append("</td><td>").Append(Encode(r.CaseId))
                .Append("</td><td>").Append(Encode(r.Model ?? "-")).Append("</td><td class=\"fail\">").Append(Encode(why))
                .Append("</td><td>").Append(Encode(r.Answer ?? string.Empty)).Append("</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
