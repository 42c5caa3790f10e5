using System.Text.Json.Nodes;
using System.Xml.Linq;
using SkFallback.Cli.Evaluation.Runs;

namespace SkFallback.Cli.Tests;

/// <summary><c>eval report</c>: the page, its charts (SVG and PNG, rendered headless) and the JSON summary.</summary>
public sealed class EvalReportTests
{
    private static async Task<string> WriteRunAsync(TempFolder folder)
    {
        var results = new List<CaseResult>
        {
            new() { Target = "primary", CaseId = "fr", Passed = true, Score = 1, Model = "m-v1", LatencyMs = 120, CostUsd = 0.001m, Answer = "Paris." },
            new() { Target = "primary", CaseId = "de", Passed = false, Score = 0, Model = "m-v1", LatencyMs = 300, CostUsd = 0.002m, Answer = "Munich <b>", Checks = [new("contains", false, 0, "'Munich' does not contain 'Berlin'")] },
            new() { Target = "chain", CaseId = "fr", Passed = true, Score = 1, Model = "m-v1", LatencyMs = 90, CostUsd = 0.001m, Answer = "Paris." },
            new() { Target = "chain", CaseId = "de", Error = "FallbackExhaustedException: every provider failed", LatencyMs = 50 },
        };
        var targets = new List<TargetSummary>
        {
            RunSummarizer.Summarize("primary", "provider", ["m"], [.. results.Where(r => r.Target == "primary")]),
            RunSummarizer.Summarize("chain", "chain", ["m"], [.. results.Where(r => r.Target == "chain")]),
        };
        var path = folder.File("run.json");
        await RunFiles.WriteAsync(path, new EvalRun { Dataset = "golden.jsonl", CaseCount = 2, Targets = targets, Results = results }, TestContext.Current.CancellationToken);
        return path;
    }

    [Fact]
    public async Task Report_Svg_WritesPageChartsAndSummary()
    {
        using var folder = new TempFolder();
        var run = await WriteRunAsync(folder);
        var output = folder.File("report");

        var result = await CliHarness.RunAsync("eval", "report", "--run", run, "--out", output);

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        var page = File.ReadAllText(Path.Combine(output, "index.html"));
        foreach (var chart in new[] { "quality.svg", "latency.svg", "cost.svg" })
        {
            Assert.Contains($"<img src=\"{chart}\"", page, StringComparison.Ordinal);
            var svg = XDocument.Load(Path.Combine(output, chart));
            Assert.Equal("svg", svg.Root!.Name.LocalName);
            Assert.Contains("primary", svg.ToString(), StringComparison.Ordinal);
        }

        Assert.Contains("<td>primary</td>", page, StringComparison.Ordinal);
        Assert.Contains("Munich &lt;b&gt;", page, StringComparison.Ordinal);
        Assert.Contains("every provider failed", page, StringComparison.Ordinal);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "summary.json")))!;
        Assert.Equal(["primary", "chain"], summary["targets"]!.AsArray().Select(t => t!["target"]!.GetValue<string>()));
        Assert.Equal(0.5, summary["targets"]![0]!["passRate"]!.GetValue<double>());
    }

    [Fact]
    public async Task Report_Png_WritesPngCharts()
    {
        using var folder = new TempFolder();
        var run = await WriteRunAsync(folder);
        var output = folder.File("report");

        var result = await CliHarness.RunAsync("eval", "report", "-r", run, "-o", output, "--charts", "png", "--json");

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        var charts = JsonNode.Parse(result.Out)!["charts"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(3, charts.Count);
        Assert.All(charts, chart =>
        {
            var bytes = File.ReadAllBytes(chart);
            Assert.True(bytes.Length > 1000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        });
    }

    [Fact]
    public async Task Report_MissingRun_ExitsTwo()
    {
        var result = await CliHarness.RunAsync("eval", "report", "--run", "missing-run.json");

        Assert.Equal(ExitCodes.Usage, result.Exit);
        Assert.Contains("missing-run.json", result.Error, StringComparison.Ordinal);
    }
}
