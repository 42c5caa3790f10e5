using System.Text.Json.Nodes;
using static SkFallback.Cli.Tests.SimulatedChain;

namespace SkFallback.Cli.Tests;

/// <summary>The CI gate over HTTP: a drifted simulator model fails <c>eval compare</c>, a stable one passes.</summary>
public sealed class EvalCompareTests
{
    private const string Germany = "What is the capital of Germany?";
    private const string Spain = "What is the capital of Spain?";

    [Fact]
    public async Task Compare_DriftedBackup_ExitsOneNamingProviderModelAndCases()
    {
        await using var chain = await StartAsync();
        // The baseline sends each case once to the backup alone (the chain's calls stop at the primary): then it switches.
        chain.Simulator.Model(BackupModel).DriftAfter(Cases.Count, BackupModel + "-v2", new Dictionary<string, string> { [Germany] = "Munich.", [Spain] = "Barcelona." });
        var (baselineRun, baseline) = await chain.EvalRunAsync("baseline.json");
        var (currentRun, current) = await chain.EvalRunAsync("current.json");

        var compare = await CliHarness.RunAsync("eval", "compare", "--baseline", baseline, "--current", current, "--threshold", "0.1");

        Assert.Equal((0, 0), (baselineRun.Exit, currentRun.Exit));
        Assert.True(compare.Exit == ExitCodes.Regression, compare.ToString());
        Assert.Contains("regression: backup: pass-rate 100% -> 50%", compare.Out, StringComparison.Ordinal);
        Assert.Contains($"model {BackupModel}-v1 -> {BackupModel}-v2", compare.Out, StringComparison.Ordinal);
        Assert.Contains("newly failing: capital-de, capital-es", compare.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("regression: primary", compare.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("regression: chain", compare.Out, StringComparison.Ordinal);
        Assert.Contains("quality gate failed", compare.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_DriftedBackupJson_ListsRegressedTargetAndCases()
    {
        await using var chain = await StartAsync();
        chain.Simulator.Model(BackupModel).DriftAfter(Cases.Count, BackupModel + "-v2", new Dictionary<string, string> { [Germany] = "Munich." });
        var (_, baseline) = await chain.EvalRunAsync("baseline.json");
        var (_, current) = await chain.EvalRunAsync("current.json");

        var compare = await CliHarness.RunAsync("eval", "compare", "-b", baseline, "--current", current, "--json");

        Assert.Equal(ExitCodes.Regression, compare.Exit);
        var json = JsonNode.Parse(compare.Out)!;
        Assert.True(json["regressed"]!.GetValue<bool>());
        var targets = json["targets"]!.AsArray().ToDictionary(t => t!["target"]!.GetValue<string>());
        Assert.Equal(["primary", "backup", "chain"], targets.Keys);
        Assert.True(targets["backup"]!["regressed"]!.GetValue<bool>());
        Assert.Equal(-0.25, targets["backup"]!["delta"]!.GetValue<double>());
        Assert.Equal(["capital-de"], targets["backup"]!["newFailures"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.True(targets["backup"]!["modelChanged"]!.GetValue<bool>());
        Assert.False(targets["primary"]!["regressed"]!.GetValue<bool>());
        Assert.False(targets["primary"]!["modelChanged"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Compare_StableProviders_ExitsZero()
    {
        await using var chain = await StartAsync();
        var (_, baseline) = await chain.EvalRunAsync("baseline.json");
        var (_, current) = await chain.EvalRunAsync("current.json");

        var compare = await CliHarness.RunAsync("eval", "compare", "--baseline", baseline, "--current", current);

        Assert.True(compare.Exit == ExitCodes.Success, compare.ToString());
        Assert.Contains("quality gate passed", compare.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("regression:", compare.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.3", ExitCodes.Success)]
    [InlineData("0.25", ExitCodes.Success)]
    [InlineData("0.2", ExitCodes.Regression)]
    public async Task Compare_OneCaseOfFourDrifted_GatesOnTheThreshold(string threshold, int expected)
    {
        await using var chain = await StartAsync();
        chain.Simulator.Model(BackupModel).DriftAfter(Cases.Count, BackupModel + "-v2", new Dictionary<string, string> { [Spain] = "Barcelona." });
        var (_, baseline) = await chain.EvalRunAsync("baseline.json");
        var (_, current) = await chain.EvalRunAsync("current.json");

        var compare = await CliHarness.RunAsync("eval", "compare", "--baseline", baseline, "--current", current, "--threshold", threshold);

        Assert.True(compare.Exit == expected, compare.ToString());
    }

    [Fact]
    public async Task Compare_MissingBaseline_ExitsTwoNamingTheFile()
    {
        var compare = await CliHarness.RunAsync("eval", "compare", "--baseline", "no-such-baseline.json", "--current", "no-such-run.json");

        Assert.Equal(ExitCodes.Usage, compare.Exit);
        Assert.Contains("no-such-baseline.json", compare.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--threshold", "1.5")]
    [InlineData("--metric", "accuracy")]
    public async Task Compare_BadOption_ExitsTwo(string option, string value)
    {
        var compare = await CliHarness.RunAsync("eval", "compare", "--baseline", "b.json", option, value);

        Assert.Equal(ExitCodes.Usage, compare.Exit);
        Assert.NotEmpty(compare.Error);
    }
}
