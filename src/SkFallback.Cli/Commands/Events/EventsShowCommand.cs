using System.CommandLine;
using System.Globalization;
using SkFallback.Cli.Events;
using SkFallback.Events;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Events;

/// <summary><c>skfallback events show ID</c>: one event whole (any unique prefix or suffix of its id, as tables show it): request, answer, every attempt.</summary>
internal sealed class EventsShowCommand
{
    private readonly CliEnvironment _environment;
    private readonly EventLogOptions _log = new();
    private readonly Argument<string> _id = new("id") { Description = "The event's id, or a unique prefix or suffix of it (tables show the last 12 digits)." };
    private readonly Option<bool> _json = new("--json") { Description = "Write the event as one JSON line, in the log's own format." };

    private EventsShowCommand(CliEnvironment environment) => _environment = environment;

    /// <summary>Creates the command.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var show = new EventsShowCommand(environment);
        var command = new Command("show", "Show one event: the request, the answer and every attempt.") { show._id, show._json };
        show._log.AddTo(command, filters: false);
        command.SetAction(show.RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var id = parse.GetRequiredValue(_id);
        var matches = _log.Log(parse).ReadAll().Events.Where(e => e.Id.StartsWith(id, StringComparison.OrdinalIgnoreCase) || e.Id.EndsWith(id, StringComparison.OrdinalIgnoreCase)).ToList();
        var found = matches.Count switch
        {
            0 => throw new CliUsageException($"no event with an id starting or ending '{id}'"),
            1 => matches[0],
            _ => throw new CliUsageException($"{matches.Count} events have ids starting or ending '{id}': give more of it"),
        };
        if (parse.GetValue(_json))
        {
            await _environment.Out.WriteLineAsync(FallbackEventJson.Serialize(found).AsMemory(), cancellationToken);
            return ExitCodes.Success;
        }

        Write(found);
        return ExitCodes.Success;
    }

    private void Write(FallbackEvent e)
    {
        var console = _environment.Console;
        var facts = new Grid().AddColumn().AddColumn();
        void Fact(string name, string? value) => facts.AddRow(new Markup($"[grey]{name}[/]"), new Text(value ?? "-"));
        Fact("id", e.Id);
        Fact("time", e.Time.ToString("u", CultureInfo.InvariantCulture));
        Fact("outcome", EventNames.Outcome(e.Outcome));
        Fact("answered by", e.Provider is null ? null : $"{e.Provider} ({e.Model})");
        Fact("duration ms", e.DurationMs.ToString("0.#", CultureInfo.InvariantCulture));
        Fact("cost $", e.CostUsd?.ToString("0.######", CultureInfo.InvariantCulture));
        Fact("tenant", e.Tenant);
        Fact("labels", e.Labels is { Count: > 0 } labels ? string.Join(", ", labels.Select(l => $"{l.Key}={l.Value}")) : null);
        Fact("streaming", e.Streaming ? "yes" : "no");
        Fact("sample rate", e.SampleRate.ToString(CultureInfo.InvariantCulture));
        console.Write(facts);
        console.Write(new Rule("request").LeftJustified());
        foreach (var message in e.Request)
        {
            console.Write(new Text($"{message.Role}: {message.Text}{Parts(message.Parts)}\n"));
        }

        console.Write(new Rule("answer").LeftJustified());
        console.Write(new Text(e.Response is { } r ? $"{r.Text}{Parts(r.Parts)}\n(finish {r.FinishReason ?? "-"}, tokens {r.InputTokens?.ToString(CultureInfo.InvariantCulture) ?? "?"} in / {r.OutputTokens?.ToString(CultureInfo.InvariantCulture) ?? "?"} out)\n" : "none\n"));
        if (e.Error is { } error)
        {
            console.Write(new Text($"error: {error.Type}: {error.Message}{(error.OutputCommitted ? " (after output reached the caller)" : string.Empty)}\n", new Style(Color.Red)));
        }

        console.Write(Attempts(e));
    }

    private static Table Attempts(FallbackEvent e)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("attempts").AddColumns("#", "provider", "model", "reason", "status", "retry", "start ms", "ms", "cost $", "detail");
        for (var i = 0; i < e.Attempts.Count; i++)
        {
            var a = e.Attempts[i];
            table.AddRow(
                (i + 1).ToString(CultureInfo.InvariantCulture),
                Markup.Escape(a.Provider),
                Markup.Escape(a.Model),
                a.Reason == FailureKind.None && !a.Skipped ? "[green]answered[/]" : $"[red]{(a.Skipped ? "skipped: " : string.Empty)}{a.Reason}[/]",
                a.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "-",
                a.Retry.ToString(CultureInfo.InvariantCulture),
                a.StartMs?.ToString("0.#", CultureInfo.InvariantCulture) ?? "-",
                a.ElapsedMs.ToString("0.#", CultureInfo.InvariantCulture),
                a.CostUsd?.ToString("0.######", CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(a.Detail ?? a.PartialOutput ?? string.Empty));
        }

        return table;
    }

    private static string Parts(IReadOnlyList<FallbackEventPart>? parts) =>
        parts is { Count: > 0 } ? " " + string.Join(" ", parts.Select(p => $"[{p.Kind}{(p.Name is null ? string.Empty : " " + p.Name)}{(p.Text is null ? string.Empty : ": " + p.Text)}]")) : string.Empty;
}
