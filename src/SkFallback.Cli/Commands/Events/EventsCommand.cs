using System.CommandLine;

namespace SkFallback.Cli.Commands.Events;

/// <summary><c>skfallback events</c>: the fallback-event log (format: <c>docs/fallback-events.md</c>).</summary>
internal static class EventsCommand
{
    /// <summary>Creates the command and its subcommands.</summary>
    public static Command Create(CliEnvironment environment) => new("events", "Read the fallback-event log: list, show, stats, tail.")
    {
        EventsListCommand.Create(environment),
        EventsShowCommand.Create(environment),
        EventsStatsCommand.Create(environment),
        EventsTailCommand.Create(environment),
    };
}
