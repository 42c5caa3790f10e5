using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SkFallback.Cli.Commands.Events;
using SkFallback.Cli.Evaluation;
using SkFallback.Cli.Evaluation.Runs;
using SkFallback.Cli.Events;
using SkFallback.Cli.Hosting;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Eval;

/// <summary>
/// <c>skfallback eval events</c>: scores the backup's answers of the sampled fallback events, against the golden set
/// (a case whose last user message is the request's) or the primary's answer to the same request found in the log, and
/// lists the ones to review. <c>--fail-on-review</c> exits 1 when there is one.
/// </summary>
internal sealed class EvalEventsCommand
{
    private readonly CliEnvironment _environment;
    private readonly EventLogOptions _log = new();
    private readonly Option<string?> _dataset = new("--dataset", "-d") { Description = "Golden set to match requests against (optional: without it only primary answers in the log are references)." };
    private readonly Option<double> _threshold = CommonOptions.Fraction("--threshold", "MiniLM similarity to the primary's answer that passes.", 0.8);
    private readonly Option<string?> _config = CommonOptions.Config();
    private readonly Option<string?> _judge = new("--judge") { Description = "Provider (by name, from --config) that grades 'judge' checks." };
    private readonly Option<bool> _failOnReview = new("--fail-on-review") { Description = "Exit 1 when an answer is to review." };
    private readonly Option<bool> _json = CommonOptions.Json();

    private EvalEventsCommand(CliEnvironment environment) => _environment = environment;

    /// <summary>Creates the command.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var events = new EvalEventsCommand(environment);
        var command = new Command("events", "Score the backup answers of sampled fallback events against the golden answer or the primary's; list the ones to review.")
        {
            events._dataset, events._threshold, events._config, events._judge, events._failOnReview, events._json,
        };
        events._log.AddTo(command, filters: true);
        command.SetAction(events.RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var filter = _log.Filter(parse, _environment.Time.GetUtcNow());
        IReadOnlyList<GoldenCase> cases = parse.GetValue(_dataset) is { } dataset
            ? File.Exists(dataset) ? await GoldenSetReader.ReadFileAsync(dataset, cancellationToken) : throw new CliUsageException($"no dataset '{dataset}'")
            : [];
        var (log, _) = _log.Log(parse).ReadAll();
        await using var session = parse.GetValue(_judge) is { } judgeName ? await EvalSession.OpenAsync(parse.GetValue(_config), false, null, cancellationToken) : null;
        using var judge = session is null ? null : session.Chains.Single(parse.GetValue(_judge)!);
        using var scorer = new CaseScorer(judge?.Client);
        var scorerOfEvents = new EventScorer(scorer, cases, parse.GetValue(_threshold));
        var reviews = new List<EventReview>();
        foreach (var e in log.Where(e => EventScorer.IsBackupAnswer(e) && filter.Matches(e)))
        {
            reviews.Add(await scorerOfEvents.ScoreAsync(e, log, cancellationToken));
        }

        var toReview = reviews.Where(r => r.Passed == false).ToList();
        if (parse.GetValue(_json))
        {
            var summary = new { scored = reviews.Count(r => r.Passed is not null), toReview = toReview.Count, unscored = reviews.Count(r => r.Passed is null), events = reviews };
            await _environment.Out.WriteLineAsync(JsonSerializer.Serialize(summary, RunFiles.Json).AsMemory(), cancellationToken);
        }
        else
        {
            Write(reviews, toReview);
        }

        return parse.GetValue(_failOnReview) && toReview.Count > 0 ? ExitCodes.Regression : ExitCodes.Success;
    }

    private void Write(List<EventReview> reviews, List<EventReview> toReview)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("time (UTC)", "id", "primary", "answered by", "against", "verdict", "score", "why");
        foreach (var r in reviews)
        {
            var verdict = r.Passed switch { true => "[green]ok[/]", false => "[red]REVIEW[/]", null => "[grey]not scored[/]" };
            table.AddRow(
                r.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                EventNames.ShortId(r.Id),
                Markup.Escape(r.Primary ?? "-"),
                Markup.Escape($"{r.Provider} ({r.Model})"),
                Markup.Escape(r.Reference is null ? r.Basis : $"{r.Basis} {(r.Basis == "primary" ? EventNames.ShortId(r.Reference) : r.Reference)}"),
                verdict,
                r.Score?.ToString("0.00", CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(r.Reason ?? string.Empty));
        }

        _environment.Console.Write(table);
        var scored = reviews.Count(r => r.Passed is not null);
        _environment.Console.MarkupLine($"{reviews.Count} backup answers: {scored} scored, [{(toReview.Count > 0 ? "red" : "green")}]{toReview.Count} to review[/]{(toReview.Count > 0 ? ": " + Markup.Escape(string.Join(", ", toReview.Select(r => EventNames.ShortId(r.Id)))) : string.Empty)}");
    }
}
