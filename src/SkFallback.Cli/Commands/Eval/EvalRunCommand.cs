using System.CommandLine;
using System.Text.Json;
using SkFallback.Cli.Evaluation;
using SkFallback.Cli.Evaluation.Runs;
using SkFallback.Cli.Hosting;
using Spectre.Console;

namespace SkFallback.Cli.Commands.Eval;

/// <summary>
/// <c>skfallback eval run</c>: sends every case of a golden set to each provider of the chain on its own (a chain of
/// one) and to the chain as a whole, at most <c>--concurrency</c> calls at once, scores the answers, and writes the run
/// (quality, latency, cost and pinned model per target and case) to <c>--out</c>.
/// </summary>
internal sealed class EvalRunCommand
{
    private readonly CliEnvironment _environment;
    private readonly Option<string> _dataset = new("--dataset", "-d") { Description = "Golden set (JSON Lines: messages or prompt, expected, checks, tags).", Required = true };
    private readonly Option<string?> _config = CommonOptions.Config();
    private readonly Option<bool> _offline = CommonOptions.Offline();
    private readonly Option<string?> _script = CommonOptions.SimulatorScript();
    private readonly Option<string> _out = new("--out", "-o") { Description = "Where the run is written (JSON).", DefaultValueFactory = _ => "eval-run.json" };
    private readonly Option<int> _concurrency = CommonOptions.Positive("--concurrency", "Most calls in flight at once.", 4);
    private readonly Option<string?> _judge = new("--judge") { Description = "Provider that grades 'judge' checks, by name: from the top-level Judges list (not evaluated itself) or the chain." };
    private readonly Option<string[]> _tags = new("--tag") { Description = "Only cases with this tag (repeatable).", AllowMultipleArgumentsPerToken = false };
    private readonly Option<bool> _stream = new("--stream") { Description = "Stream every call and record the time to first content too." };
    private readonly Option<bool> _json = CommonOptions.Json();

    private EvalRunCommand(CliEnvironment environment) => _environment = environment;

    /// <summary>Creates the command.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var run = new EvalRunCommand(environment);
        var command = new Command("run", "Run a golden set against each provider alone and the whole chain; write the run file.")
        {
            run._dataset, run._config, run._offline, run._script, run._out, run._concurrency, run._judge, run._tags, run._stream, run._json,
        };
        command.SetAction(run.RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var datasetPath = parse.GetRequiredValue(_dataset);
        if (!File.Exists(datasetPath))
        {
            throw new CliUsageException($"no dataset '{datasetPath}'");
        }

        var cases = Filter(await GoldenSetReader.ReadFileAsync(datasetPath, cancellationToken), parse.GetValue(_tags) ?? []);
        await using var session = await EvalSession.OpenAsync(parse.GetValue(_config), parse.GetValue(_offline), parse.GetValue(_script), cancellationToken);
        if (session.Offline)
        {
            await _environment.Error.WriteLineAsync($"offline: the built-in simulator at {session.Chains.Simulator!.BaseUri} answers every provider");
        }

        var targets = session.Chains.Targets();
        using var judge = parse.GetValue(_judge) is { } judgeName ? session.Chains.Single(judgeName) : null;
        using var scorer = new CaseScorer(judge?.Client);
        try
        {
            var started = _environment.Time.GetUtcNow();
            var runner = new EvalRunner(scorer, _environment.Time, parse.GetValue(_concurrency), parse.GetValue(_stream));
            var results = await RunWithProgressAsync(runner, targets, cases, parse.GetValue(_json), cancellationToken);
            var run = new EvalRun
            {
                StartedAt = started,
                Dataset = Path.GetFileName(datasetPath),
                CaseCount = cases.Count,
                Offline = session.Offline,
                Streamed = parse.GetValue(_stream),
                Targets = RunSummarizer.Summarize(targets, results),
                Results = results,
            };
            var outPath = parse.GetValue(_out)!;
            await RunFiles.WriteAsync(outPath, run, cancellationToken);
            await WriteAsync(run, outPath, parse.GetValue(_json));
            return ExitCodes.Success;
        }
        finally
        {
            foreach (var target in targets)
            {
                target.Dispose();
            }
        }
    }

    private static List<GoldenCase> Filter(IReadOnlyList<GoldenCase> cases, string[] tags)
    {
        var kept = tags.Length == 0 ? [.. cases] : cases.Where(c => c.Tags.Any(t => tags.Contains(t, StringComparer.Ordinal))).ToList();
        return kept.Count > 0 ? kept : throw new CliUsageException($"no case has the tag(s) {string.Join(", ", tags)}");
    }

    private async Task<List<CaseResult>> RunWithProgressAsync(EvalRunner runner, List<EvalTarget> targets, List<GoldenCase> cases, bool json, CancellationToken cancellationToken)
    {
        if (json || !_environment.Interactive)
        {
            return await runner.RunAsync(targets, cases, null, cancellationToken);
        }

        return await _environment.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = targets.ToDictionary(t => t.Name, t => context.AddTask(Markup.Escape(t.Name), maxValue: cases.Count));
                return await runner.RunAsync(targets, cases, result => tasks[result.Target].Increment(1), cancellationToken);
            });
    }

    private async Task WriteAsync(EvalRun run, string outPath, bool json)
    {
        if (json)
        {
            await _environment.Out.WriteLineAsync(JsonSerializer.Serialize(new { run = outPath, run.CaseCount, run.Offline, run.Targets }, RunFiles.Json));
            return;
        }

        _environment.Console.Write(SummaryTable.Of(run.Targets));
        _environment.Console.MarkupLine($"[grey]{run.CaseCount} cases × {run.Targets.Count} targets; run written to[/] {Markup.Escape(outPath)}");
    }
}
