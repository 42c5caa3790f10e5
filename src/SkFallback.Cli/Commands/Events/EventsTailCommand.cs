using System.CommandLine;
using SkFallback.Cli.Events;
using SkFallback.Events;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Events;

/// <summary>
/// <c>skfallback events tail</c>: the last <c>--last</c> matching events, then each new one as the log gains it (polled
/// every <c>--interval-ms</c> on the environment's clock, across rotations) until Ctrl+C; <c>--no-follow</c> stops after
/// the last ones. One line per event; <c>--json</c> writes JSON Lines.
/// </summary>
internal sealed class EventsTailCommand
{
    private readonly CliEnvironment _environment;
    private readonly EventLogOptions _log = new();
    private readonly Option<int> _last = CommonOptions.Positive("--last", "Events shown before following.", 10);
    private readonly Option<bool> _noFollow = new("--no-follow") { Description = "Stop after the last events instead of following the log." };
    private readonly Option<int> _interval = CommonOptions.Positive("--interval-ms", "How often the log is checked for new events.", 500);
    private readonly Option<bool> _json = new("--json") { Description = "Write events as JSON Lines, in the log's own format." };

    private EventsTailCommand(CliEnvironment environment) => _environment = environment;

    /// <summary>Creates the command.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var tail = new EventsTailCommand(environment);
        var command = new Command("tail", "Show the last events and follow the log as it grows.") { tail._last, tail._noFollow, tail._interval, tail._json };
        tail._log.AddTo(command, filters: true);
        command.SetAction(tail.RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var filter = _log.Filter(parse, _environment.Time.GetUtcNow());
        var log = _log.Log(parse);
        var json = parse.GetValue(_json);
        var tail = new EventTail(log.Directory, log.Prefix);
        if (FallbackEventFiles.List(log.Directory, log.Prefix).Count == 0)
        {
            await _environment.Error.WriteLineAsync($"no event files '{log.Prefix}-*.jsonl' in '{log.Directory}' yet");
        }

        var first = tail.Start(int.MaxValue).Where(filter.Matches).TakeLast(parse.GetValue(_last)).ToList();
        await WriteAsync(first, json, cancellationToken);
        if (parse.GetValue(_noFollow))
        {
            return ExitCodes.Success;
        }

        var interval = TimeSpan.FromMilliseconds(parse.GetValue(_interval));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(interval, _environment.Time, cancellationToken);
                await WriteAsync([.. tail.ReadNew().Where(filter.Matches)], json, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: following ends cleanly.
        }

        return ExitCodes.Success;
    }

    private async Task WriteAsync(List<FallbackEvent> events, bool json, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        if (json)
        {
            foreach (var e in events)
            {
                await _environment.Out.WriteLineAsync(FallbackEventJson.Serialize(e).AsMemory(), cancellationToken);
            }
        }
        else
        {
            foreach (var e in events)
            {
                _environment.Console.MarkupLine(EventRows.Line(e));
            }
        }

        await _environment.Out.FlushAsync(cancellationToken);
    }
}
