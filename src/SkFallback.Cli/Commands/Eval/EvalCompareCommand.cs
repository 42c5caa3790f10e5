using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SkFallback.Cli.Evaluation.Runs;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Eval;

/// <summary>
/// <c>skfallback eval compare</c>: the CI gate. Compares a run with a stored baseline per target and exits
/// <see cref="ExitCodes.Regression"/> when any target's quality fell by more than <c>--threshold</c>, naming the target,
/// the cases that newly fail, and the pinned model change when there is one.
/// </summary>
internal sealed class EvalCompareCommand
{
    private readonly CliEnvironment _environment;
    private readonly Option<string> _baseline = new("--baseline", "-b") { Description = "The stored baseline run file.", Required = true };
    private readonly Option<string> _current = new("--current") { Description = "The run to check.", DefaultValueFactory = _ => "eval-run.json" };
    private readonly Option<double> _threshold = CommonOptions.Fraction("--threshold", "Largest fall allowed (0-1, in the metric's units; 0.05 = 5 points).", 0.05);
    private readonly Option<string> _metric = new("--metric") { Description = "What is compared: pass-rate (fraction of cases passed) or mean-score.", DefaultValueFactory = _ => "pass-rate" };
    private readonly Option<bool> _json = CommonOptions.Json();

    private EvalCompareCommand(CliEnvironment environment)
    {
        _environment = environment;
        _metric.AcceptOnlyFromAmong([.. RunComparison.Metrics]);
    }

    /// <summary>Creates the command.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var compare = new EvalCompareCommand(environment);
        var command = new Command("compare", "Compare a run with a baseline; exit 1 when a provider's quality fell by more than the threshold.")
        {
            compare._baseline, compare._current, compare._threshold, compare._metric, compare._json,
        };
        command.SetAction(compare.RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var baseline = await RunFiles.ReadAsync(parse.GetRequiredValue(_baseline), cancellationToken);
        var current = await RunFiles.ReadAsync(parse.GetValue(_current)!, cancellationToken);
        var comparison = RunComparison.Compare(baseline, current, parse.GetValue(_threshold), parse.GetValue(_metric)!);
        if (parse.GetValue(_json))
        {
            await _environment.Out.WriteLineAsync(JsonSerializer.Serialize(new { comparison.Regressed, comparison.Metric, comparison.Threshold, comparison.Targets }, RunFiles.Json));
        }
        else
        {
            Write(comparison);
        }

        return comparison.Regressed ? ExitCodes.Regression : ExitCodes.Success;
    }

    private void Write(RunComparison comparison)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("target", "baseline", "current", "change", "models", "verdict");
        foreach (var t in comparison.Targets)
        {
            table.AddRow(
                Markup.Escape(t.Target),
                Percent(t.Baseline),
                Percent(t.Current),
                Invariant($"{t.Delta * 100:+0.#;-0.#;0} pts"),
                Markup.Escape(Models(t)),
                t.Regressed ? "[red]REGRESSED[/]" : "[green]ok[/]");
        }

        var console = _environment.Console;
        console.Write(table);
        foreach (var t in comparison.Targets.Where(t => t.Regressed))
        {
            var cases = t.NewFailures.Count > 0 ? "; newly failing: " + string.Join(", ", t.NewFailures) : string.Empty;
            var why = t.Current is null ? "missing from the current run" : Invariant($"{comparison.Metric} {Percent(t.Baseline)} -> {Percent(t.Current)}, more than {comparison.Threshold * 100:0.#} pts down");
            console.MarkupLine($"[red]regression:[/] {Markup.Escape(t.Target)}: {Markup.Escape(why)}{(t.ModelChanged ? "; model " + Markup.Escape(Models(t)) : string.Empty)}{Markup.Escape(cases)}");
        }

        console.MarkupLine(comparison.Regressed ? "[red]quality gate failed[/]" : "[green]quality gate passed[/]");
    }

    private static string Models(TargetComparison t) => t.ModelChanged
        ? $"{string.Join(", ", t.BaselineModels)} -> {string.Join(", ", t.CurrentModels)}"
        : string.Join(", ", t.CurrentModels.Count > 0 ? t.CurrentModels : t.BaselineModels);

    private static string Percent(double? value) => value is { } v ? Invariant($"{v * 100:0}%") : "-";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
