using System.Text.Json;
using System.Text.Json.Nodes;
using SkFallback.Cli.Evaluation.Runs;
using SkFallback.Simulator;
using static SkFallback.Cli.Tests.SimulatedChain;

namespace SkFallback.Cli.Tests;

/// <summary><c>eval run</c> over HTTP against the simulator: targets, pinned models, latency, cost, failures, usage errors.</summary>
public sealed class EvalRunTests
{
    private static async Task<EvalRun> ReadAsync(string path) =>
        (await RunFiles.ReadAsync(path, TestContext.Current.CancellationToken))!;

    [Fact]
    public async Task Run_TwoProviderChain_SendsEveryCaseToEachProviderAloneAndToTheChain()
    {
        await using var chain = await StartAsync();

        var (result, path) = await chain.EvalRunAsync("run.json", "--concurrency", "3");

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        var run = await ReadAsync(path);
        Assert.Equal(["primary", "backup", "chain"], run.Targets.Select(t => t.Target));
        Assert.Equal(["provider", "provider", "chain"], run.Targets.Select(t => t.Kind));
        Assert.All(run.Targets, t => Assert.Equal((4, 4, 1.0), (t.Cases, t.Passed, t.PassRate)));
        Assert.Equal([PrimaryModel + "-v1"], run.Targets[0].Models);
        Assert.Equal([BackupModel + "-v1"], run.Targets[1].Models);
        Assert.Equal([PrimaryModel, BackupModel], run.Targets[2].ConfiguredModels);
        Assert.All(run.Results, r => Assert.True(r.LatencyMs > 0 && r.CostUsd > 0 && r.InputTokens > 0, r.CaseId));
        Assert.All(run.Targets, t => Assert.True(t.CostUsd > 0 && t.LatencyP95Ms >= t.LatencyP50Ms));
        Assert.Equal(8, chain.Simulator.RequestsFor(PrimaryModel).Count);
        Assert.Equal(4, chain.Simulator.RequestsFor(BackupModel).Count);
        Assert.Contains("primary", result.Out, StringComparison.Ordinal);
        Assert.Contains("4/4", result.Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Error);
    }

    [Fact]
    public async Task Run_PrimaryDown_ChainAnswersFromBackupAndPrimaryAloneFails()
    {
        await using var chain = await StartAsync();
        chain.Simulator.Model(PrimaryModel).Always(SimulatedBehavior.ServerError(503));

        var (result, path) = await chain.EvalRunAsync("run.json");

        Assert.Equal(ExitCodes.Success, result.Exit);
        var run = await ReadAsync(path);
        var primary = run.Targets.Single(t => t.Target == "primary");
        var whole = run.Targets.Single(t => t.Target == "chain");
        Assert.Equal((0, 4, 0.0), (primary.Passed, primary.Errors, primary.PassRate));
        Assert.Equal((4, 0), (whole.Passed, whole.Errors));
        Assert.All(run.Results.Where(r => r.Target == "chain"), r => Assert.Equal("backup", r.Provider));
        Assert.All(run.Results.Where(r => r.Target == "primary"), r => Assert.Contains("503", r.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_Stream_RecordsFirstChunkAndTheChainsTrailer()
    {
        await using var chain = await StartAsync();
        chain.Simulator.Model(PrimaryModel).Always(SimulatedBehavior.ServerError(503));

        var (result, path) = await chain.EvalRunAsync("run.json", "--stream");

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        var run = await ReadAsync(path);
        Assert.True(run.Streamed);
        var whole = run.Targets.Single(t => t.Target == "chain");
        Assert.Equal(4, whole.Passed);
        Assert.NotNull(whole.FirstChunkP50Ms);
        Assert.All(run.Results.Where(r => r.Target == "chain"), r =>
        {
            Assert.Equal("backup", r.Provider);
            Assert.True(r.FirstChunkMs > 0 && r.FirstChunkMs <= r.LatencyMs, r.CaseId);
            Assert.True(r.CostUsd > 0, r.CaseId);
        });
        Assert.All(chain.Simulator.RequestsFor(BackupModel), r => Assert.True(r.Stream));
    }

    [Fact]
    public async Task Run_Json_PrintsTheTargetsOnStandardOutput()
    {
        await using var chain = await StartAsync();

        var (result, path) = await chain.EvalRunAsync("run.json", "--json");

        Assert.Equal(ExitCodes.Success, result.Exit);
        var json = JsonNode.Parse(result.Out)!;
        Assert.Equal(path, json["run"]!.GetValue<string>());
        Assert.Equal(4, json["caseCount"]!.GetValue<int>());
        Assert.Equal(["primary", "backup", "chain"], json["targets"]!.AsArray().Select(t => t!["target"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Run_Tag_KeepsOnlyTaggedCases()
    {
        await using var chain = await StartAsync();
        File.AppendAllText(chain.Dataset, "\n" + """{"id":"math","prompt":"2+2?","expected":"4","tags":["math"]}""");

        var (geo, path) = await chain.EvalRunAsync("run.json", "--tag", "geo");
        var unknown = await chain.EvalRunAsync("none.json", "--tag", "history");

        Assert.Equal(ExitCodes.Success, geo.Exit);
        Assert.Equal(4, (await ReadAsync(path)).CaseCount);
        Assert.Equal(ExitCodes.Usage, unknown.Run.Exit);
        Assert.Contains("history", unknown.Run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadDataset_ExitsTwoNamingLineAndField()
    {
        using var folder = new TempFolder();
        var dataset = folder.Write("bad.jsonl", """
            {"id":"a","prompt":"x","expected":"y"}
            {"id":"b","prompt":"x","checks":[{"type":"regex","pattern":"("}]}
            """);

        var result = await CliHarness.RunAsync("eval", "run", "--dataset", dataset, "--out", folder.File("run.json"));

        Assert.Equal(ExitCodes.Usage, result.Exit);
        Assert.Contains("bad.jsonl:2: checks[0]", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("run.json")));
    }

    [Theory]
    [InlineData("eval", "run")]
    [InlineData("eval", "run", "--dataset", "missing.jsonl")]
    [InlineData("eval", "run", "--dataset", "x.jsonl", "--concurrency", "0")]
    [InlineData("eval", "run", "--no-such-option")]
    [InlineData("eval")]
    public async Task Run_UsageErrors_ExitTwo(params string[] args)
    {
        var result = await CliHarness.RunAsync(args);

        Assert.True(result.Exit == ExitCodes.Usage, result.ToString());
        Assert.NotEmpty(result.Error);
    }

    [Fact]
    public async Task Run_NoConfiguration_RunsOfflineOnTheBuiltInSimulator()
    {
        using var folder = new TempFolder();
        var dataset = folder.Write("golden.jsonl", """{"id":"fr","prompt":"Capital of France?","expected":"Paris.","checks":[{"type":"exact"}]}""");
        var script = folder.Write("sim.json", """{"models":{"gpt-4o-2024-08-06":{"answers":{"Capital of France?":"Paris."}}}}""");

        var result = await CliHarness.RunAsync("eval", "run", "--dataset", dataset, "--simulator-script", script, "--out", folder.File("run.json"));

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        Assert.Contains("offline", result.Error, StringComparison.Ordinal);
        var run = await ReadAsync(folder.File("run.json"));
        Assert.True(run.Offline);
        Assert.Equal(["openai", "anthropic", "openai-mini", "chain"], run.Targets.Select(t => t.Target));
        Assert.Equal([1.0, 0.0, 0.0, 1.0], run.Targets.Select(t => t.PassRate));
    }

    [Fact]
    public async Task Run_JudgeCheck_IsGradedByTheNamedProvider()
    {
        await using var chain = await StartAsync();
        chain.Simulator.Model("judge-model").Always(SimulatedBehavior.Reply("""{"score": 5, "reason": "names the capital"}"""));
        var config = chain.Folder.Write("judge.json", File.ReadAllText(chain.Config).Replace(
            "\"Providers\": [",
            $$"""
            "Providers": [
                  { "Name": "judge", "Kind": "OpenAI", "Model": "judge-model", "ApiKey": "sim-key", "Endpoint": "{{chain.Simulator.OpenAIEndpoint}}" },
            """,
            StringComparison.Ordinal));
        var dataset = chain.Folder.Write("judged.jsonl", """{"id":"fr","prompt":"What is the capital of France?","expected":"Paris","checks":[{"type":"judge","criteria":"Names the capital.","minScore":4}]}""");

        var judged = await CliHarness.RunAsync("eval", "run", "-c", config, "-d", dataset, "-o", chain.Folder.File("judged.json"), "--judge", "judge");
        var unjudged = await CliHarness.RunAsync("eval", "run", "-c", config, "-d", dataset, "-o", chain.Folder.File("unjudged.json"));

        Assert.True(judged.Exit == ExitCodes.Success, judged.ToString());
        var run = await ReadAsync(chain.Folder.File("judged.json"));
        var primary = run.Results.Single(r => r.Target == "primary");
        Assert.True(primary.Passed);
        Assert.Equal(1.0, primary.Score);
        Assert.Contains("judge 5/5", primary.Checks[0].Reason, StringComparison.Ordinal);
        Assert.Contains(chain.Simulator.RequestsFor("judge-model"), r => r.LastUserMessage?.EndsWith("Answer to grade:\nParis.", StringComparison.Ordinal) == true);
        var withoutJudge = (await ReadAsync(chain.Folder.File("unjudged.json"))).Results.Single(r => r.Target == "primary");
        Assert.False(withoutJudge.Passed);
        Assert.Contains("--judge", withoutJudge.Checks[0].Reason, StringComparison.Ordinal);
        var unknownJudge = await CliHarness.RunAsync("eval", "run", "-c", config, "-d", dataset, "-o", chain.Folder.File("x.json"), "--judge", "nobody");
        Assert.Equal(ExitCodes.Usage, unknownJudge.Exit);
    }

    [Fact]
    public async Task Run_JudgeFromTheJudgesList_GradesWithoutBeingATarget()
    {
        await using var chain = await StartAsync();
        chain.Simulator.Model("grader-model").Always(SimulatedBehavior.Reply("""{"score": 2, "reason": "vague"}"""));
        var config = chain.Folder.Write("judges.json", File.ReadAllText(chain.Config).TrimEnd().TrimEnd('}') + $$"""
            ,
              "Judges": [ { "Name": "grader", "Kind": "OpenAI", "Model": "grader-model", "ApiKey": "sim-key", "Endpoint": "{{chain.Simulator.OpenAIEndpoint}}" } ]
            }
            """);
        var dataset = chain.Folder.Write("judged.jsonl", """{"id":"fr","prompt":"What is the capital of France?","expected":"Paris","checks":[{"type":"judge","minScore":3}]}""");

        var result = await CliHarness.RunAsync("eval", "run", "-c", config, "-d", dataset, "-o", chain.Folder.File("run.json"), "--judge", "grader");

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        var run = await ReadAsync(chain.Folder.File("run.json"));
        Assert.Equal(["primary", "backup", "chain"], run.Targets.Select(t => t.Target));
        Assert.All(run.Results, r => Assert.False(r.Passed));
        Assert.All(run.Results, r => Assert.Equal(0.25, r.Score));
        Assert.Equal(3, chain.Simulator.RequestsFor("grader-model").Count);
    }

    [Theory]
    [InlineData("\"RetryBudget\":500", "RetryBudget")]
    [InlineData("\"RetryBudget\":\"many\"", "RetryBudget")]
    [InlineData("\"RetryBudgett\":1", "RetryBudgett")]
    public async Task Run_InvalidChainConfiguration_ExitsTwoNamingTheKey(string setting, string key)
    {
        using var folder = new TempFolder();
        var config = folder.Write("bad.json", $$$"""{"SkFallback":{{{{setting}}},"Providers":[{"Name":"p","Kind":"OpenAI","Model":"m","ApiKey":"k","Endpoint":"http://127.0.0.1:1/v1/"}]}}""");
        var dataset = folder.Write("golden.jsonl", """{"prompt":"x","expected":"y"}""");

        var result = await CliHarness.RunAsync("eval", "run", "-c", config, "-d", dataset, "-o", folder.File("run.json"));

        Assert.True(result.Exit == ExitCodes.Usage, result.ToString());
        Assert.Contains(key, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EventLogConfigured_WritesNoEvents()
    {
        await using var chain = await StartAsync();
        chain.Simulator.Model(PrimaryModel).Always(SimulatedBehavior.ServerError(503));
        var events = chain.Folder.File("events");
        var config = chain.Folder.Write("with-events.json", File.ReadAllText(chain.Config).Replace(
            "\"AttemptTimeout\"", $$"""
            "Events": { "Enabled": true, "Directory": "{{events.Replace("\\", "/", StringComparison.Ordinal)}}", "SampleRate": 1 },
                "AttemptTimeout"
            """, StringComparison.Ordinal));

        var result = await CliHarness.RunAsync("eval", "run", "-c", config, "-d", chain.Dataset, "-o", chain.Folder.File("run.json"));

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        Assert.False(Directory.Exists(events) && Directory.EnumerateFiles(events).Any());
    }

    [Fact]
    public void RunFile_RoundTrips()
    {
        var run = new EvalRun { Dataset = "d", CaseCount = 1, Results = [new CaseResult { Target = "t", CaseId = "c", CostUsd = 0.5m, Checks = [new("exact", true, 1, "ok")] }] };

        var copy = JsonSerializer.Deserialize<EvalRun>(JsonSerializer.Serialize(run, RunFiles.Json), RunFiles.Json)!;

        Assert.Equal(0.5m, copy.Results[0].CostUsd);
        Assert.Equal("exact", copy.Results[0].Checks[0].Check);
    }
}
