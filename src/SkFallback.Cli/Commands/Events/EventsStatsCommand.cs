using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SkFallback.Cli.Events;
using SkFallback.Cli.Evaluation.Runs;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Events;

/// <summary>
/// <c>skfallback events stats</c>: the matching events counted by outcome, attempts per provider and reason, and per
/// provider (failure rate, how often another provider had to answer for it). Each event also counts as the 1/sample_rate
/// calls it stands for.
/// </summary>
internal sealed class EventsStatsCommand
{
    private readonly CliEnvironment _environment;
    private readonly EventLogOptions _log = new();
    private readonly Option<bool> _json = CommonOptions.Json();

    private EventsStatsCommand(CliEnvironment environment) => _environment = environment;

    /// <summary>Creates the command.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var stats = new EventsStatsCommand(environment);
        var command = new Command("stats", "Count events by outcome, and attempts per provider and reason.") { stats._json };
        stats._log.AddTo(command, filters: true);
        command.SetAction(stats.RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var filter = _log.Filter(parse, _environment.Time.GetUtcNow());
        var (events, malformed) = _log.Log(parse).ReadAll();
        var stats = EventStats.Of([.. events.Where(filter.Matches)], malformed);
        if (parse.GetValue(_json))
        {
            await _environment.Out.WriteLineAsync(JsonSerializer.Serialize(stats, RunFiles.Json).AsMemory(), cancellationToken);
            return ExitCodes.Success;
        }

        Write(stats);
        return ExitCodes.Success;
    }

    private void Write(EventStats stats)
    {
        var console = _environment.Console;
        var outcomes = new Table().Border(TableBorder.Rounded).Title("outcomes").AddColumns("outcome", "events", "calls (est.)");
        foreach (var o in stats.Outcomes)
        {
            outcomes.AddRow(o.Outcome, Number(o.Events), Number(o.EstimatedCalls));
        }

        var providers = new Table().Border(TableBorder.Rounded).Title("providers").AddColumns("provider", "attempts", "failed", "failure rate", "answered", "fallen back from");
        foreach (var p in stats.Providers)
        {
            providers.AddRow(Markup.Escape(p.Provider), Number(p.Attempts), Number(p.Failures), Invariant($"{p.FailureRate * 100:0.#}%"), Number(p.Answered), Number(p.FellBackFrom));
        }

        var reasons = new Table().Border(TableBorder.Rounded).Title("attempts by provider and reason").AddColumns("provider", "reason", "attempts", "attempts (est.)", "mean ms", "cost $");
        foreach (var r in stats.Reasons)
        {
            reasons.AddRow(Markup.Escape(r.Provider), r.Reason == "None" ? "[green]answered[/]" : $"[red]{r.Reason}[/]", Number(r.Attempts), Number(r.EstimatedAttempts), Invariant($"{r.MeanElapsedMs:0.#}"), Invariant($"{r.CostUsd:0.######}"));
        }

        console.Write(outcomes);
        console.Write(providers);
        console.Write(reasons);
        console.MarkupLine($"[grey]{stats.Events} events, {Number(stats.EstimatedCalls)} calls estimated{(stats.Malformed > 0 ? $", {stats.Malformed} unreadable lines skipped" : string.Empty)}[/]");
    }

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
