using System.CommandLine;
using SkFallback.Cli.Events;
using SkFallback.Events;

namespace SkFallback.Cli.Commands.Events;

/// <summary>The options every command over the event log takes: where the log is, and (for most) which events.</summary>
internal sealed class EventLogOptions
{
    private readonly Option<string> _directory = new("--dir") { Description = "The log's directory (SkFallback:Events:Directory).", DefaultValueFactory = _ => "fallback-events" };
    private readonly Option<string> _prefix = new("--prefix") { Description = "The log's file prefix (SkFallback:Events:FilePrefix).", DefaultValueFactory = _ => FallbackEventFiles.DefaultPrefix };
    private readonly Option<string?> _provider = new("--provider") { Description = "Only events this provider answered or attempted." };
    private readonly Option<string?> _reason = new("--reason") { Description = "Only events with an attempt that failed for this reason (RateLimited, ServerError, Timeout, Stalled, ...; None: answered)." };
    private readonly Option<string?> _outcome = new("--outcome") { Description = "Only events with this outcome (answered, fell_back, continued, hedged, refused, exhausted, failed, cancelled)." };
    private readonly Option<string?> _tenant = new("--tenant") { Description = "Only events of this tenant." };
    private readonly Option<string?> _since = new("--since") { Description = "Only calls started at or after this time (2026-12-04T18:00:00Z) or age (30m, 2h, 7d)." };
    private readonly Option<string?> _until = new("--until") { Description = "Only calls started before this time or age." };

    /// <summary>Adds the log options and, when <paramref name="filters"/>, the filters.</summary>
    public void AddTo(Command command, bool filters)
    {
        command.Add(_directory);
        command.Add(_prefix);
        if (filters)
        {
            foreach (var option in new[] { _provider, _reason, _outcome, _tenant, _since, _until })
            {
                command.Add(option);
            }
        }
    }

    /// <summary>The log the options name.</summary>
    public EventLog Log(ParseResult parse) => new(parse.GetValue(_directory)!, parse.GetValue(_prefix)!);

    /// <summary>The filter the options give; bad values are usage errors naming the option.</summary>
    public EventFilter Filter(ParseResult parse, DateTimeOffset now) => new()
    {
        Provider = parse.GetValue(_provider),
        Reason = parse.GetValue(_reason) is { } reason ? EventNames.ParseReason(reason) : null,
        Outcome = parse.GetValue(_outcome) is { } outcome ? EventNames.ParseOutcome(outcome) : null,
        Tenant = parse.GetValue(_tenant),
        Since = parse.GetValue(_since) is { } since ? EventNames.ParseTime(since, now, "--since") : null,
        Until = parse.GetValue(_until) is { } until ? EventNames.ParseTime(until, now, "--until") : null,
    };
}
