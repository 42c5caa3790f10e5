using System.CommandLine;
using SkFallback.Events;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Events;

/// <summary><c>skfallback events list</c>: the matching events, newest last, at most <c>--limit</c> (the newest ones).</summary>
internal sealed class EventsListCommand
{
    private readonly CliEnvironment _environment;
    private readonly EventLogOptions _log = new();
    private readonly Option<int> _limit = CommonOptions.Positive("--limit", "Most events shown (the newest).", 50);
    private readonly Option<bool> _json = new("--json") { Description = "Write the matching events as JSON Lines, in the log's own format." };

    private EventsListCommand(CliEnvironment environment) => _environment = environment;

    /// <summary>Creates the command.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var list = new EventsListCommand(environment);
        var command = new Command("list", "List events, filtered by provider, reason, outcome, tenant and time.") { list._limit, list._json };
        list._log.AddTo(command, filters: true);
        command.SetAction(list.RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var filter = _log.Filter(parse, _environment.Time.GetUtcNow());
        var (events, malformed) = _log.Log(parse).ReadAll();
        var matching = events.Where(filter.Matches).ToList();
        var shown = matching.TakeLast(parse.GetValue(_limit)).ToList();
        if (parse.GetValue(_json))
        {
            foreach (var e in shown)
            {
                await _environment.Out.WriteLineAsync(FallbackEventJson.Serialize(e).AsMemory(), cancellationToken);
            }

            return ExitCodes.Success;
        }

        var table = EventRows.Table();
        foreach (var e in shown)
        {
            EventRows.Add(table, e);
        }

        _environment.Console.Write(table);
        _environment.Console.MarkupLine($"[grey]{shown.Count} of {matching.Count} matching events ({events.Count} in the log{(malformed > 0 ? $", {malformed} unreadable lines skipped" : string.Empty)})[/]");
        return ExitCodes.Success;
    }
}
