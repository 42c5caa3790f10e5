using System.CommandLine;
using System.Text.Json;
using SkFallback.Cli.Evaluation.Reports;
using SkFallback.Cli.Evaluation.Runs;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Eval;

/// <summary>
/// <c>skfallback eval report</c>: writes <c>index.html</c> (summary, per-target quality, latency and cost charts,
/// failing cases) and <c>summary.json</c> (the per-target summaries) into a folder.
/// </summary>
internal sealed class EvalReportCommand
{
    private readonly CliEnvironment _environment;
    private readonly Option<string> _run = new("--run", "-r") { Description = "The run file to report on.", DefaultValueFactory = _ => "eval-run.json" };
    private readonly Option<string> _out = new("--out", "-o") { Description = "Folder the report is written to.", DefaultValueFactory = _ => "eval-report" };
    private readonly Option<string> _format = new("--charts") { Description = "Chart format: svg (default) or png.", DefaultValueFactory = _ => "svg" };
    private readonly Option<bool> _json = CommonOptions.Json();

    private EvalReportCommand(CliEnvironment environment)
    {
        _environment = environment;
        _format.AcceptOnlyFromAmong([.. ReportCharts.Formats]);
    }

    /// <summary>Creates the command.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var report = new EvalReportCommand(environment);
        var command = new Command("report", "Write an HTML report with per-provider quality, latency and cost charts, and a JSON summary.")
        {
            report._run, report._out, report._format, report._json,
        };
        command.SetAction(report.RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var run = await RunFiles.ReadAsync(parse.GetValue(_run)!, cancellationToken);
        var folder = parse.GetValue(_out)!;
        Directory.CreateDirectory(folder);
        var charts = ReportCharts.Write(run.Targets, folder, parse.GetValue(_format)!);
        var page = Path.Combine(folder, "index.html");
        await File.WriteAllTextAsync(page, HtmlReport.Render(run, charts), cancellationToken);
        var summary = Path.Combine(folder, "summary.json");
        var summaryJson = JsonSerializer.Serialize(new { run.Dataset, run.StartedAt, run.CaseCount, run.Offline, run.Targets }, RunFiles.Json);
        await File.WriteAllTextAsync(summary, summaryJson, cancellationToken);
        if (parse.GetValue(_json))
        {
            await _environment.Out.WriteLineAsync(JsonSerializer.Serialize(new { page, summary, charts = charts.Select(c => Path.Combine(folder, c.File)) }, RunFiles.Json));
        }
        else
        {
            _environment.Console.MarkupLine($"report written to [bold]{Markup.Escape(page)}[/] ({charts.Count} charts, summary.json)");
        }

        return ExitCodes.Success;
    }
}
