using System.Text.Json.Nodes;
using SkFallback.Events;

namespace SkFallback.Cli.Tests.Events;

/// <summary><c>events list|show|stats</c> over a log written in the library's format.</summary>
public sealed class EventsCommandTests
{
    private static List<string> Ids(string jsonLines) =>
        [.. jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => FallbackEventJson.Parse(l)!.Id[^2..])];

    [Fact]
    public async Task List_AllEvents_TableInOrderWithMalformedLineCounted()
    {
        using var folder = new TempFolder();
        var dir = EventFiles.Sample(folder);

        var result = await CliHarness.RunAsync("events", "list", "--dir", dir);

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        Assert.Contains("primary RateLimited 429 -> backup ok", result.Out, StringComparison.Ordinal);
        Assert.Contains("primary skipped CircuitOpen -> backup ok", result.Out, StringComparison.Ordinal);
        Assert.Contains("7 of 7 matching events (7 in the log, 1 unreadable lines skipped)", result.Out, StringComparison.Ordinal);
        Assert.True(result.Out.IndexOf("2026-12-04 18:01:00", StringComparison.Ordinal) < result.Out.IndexOf("2026-12-04 18:07:00", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "--provider", "backup" }, new[] { "02", "03", "05", "06", "07" })]
    [InlineData(new[] { "--reason", "ServerError" }, new[] { "03", "06" })]
    [InlineData(new[] { "--reason", "ratelimited" }, new[] { "02", "06" })]
    [InlineData(new[] { "--provider", "backup", "--reason", "RateLimited" }, new[] { "06" })]
    [InlineData(new[] { "--outcome", "fell_back" }, new[] { "02", "03", "05", "07" })]
    [InlineData(new[] { "--tenant", "GLOBEX" }, new[] { "03", "06" })]
    [InlineData(new[] { "--since", "2026-12-04T18:04:00Z", "--until", "2026-12-04T18:06:00Z" }, new[] { "04", "05" })]
    [InlineData(new[] { "--limit", "2" }, new[] { "06", "07" })]
    public async Task List_Json_FiltersAndWritesTheLogFormat(string[] filter, string[] expected)
    {
        using var folder = new TempFolder();
        var dir = EventFiles.Sample(folder);

        var result = await CliHarness.RunAsync(["events", "list", "--dir", dir, "--json", .. filter]);

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        Assert.Equal(expected, Ids(result.Out));
    }

    [Theory]
    [InlineData("--reason", "Sluggish", "--reason 'Sluggish' is not one of")]
    [InlineData("--outcome", "fine", "--outcome 'fine' is not one of answered, fell_back")]
    [InlineData("--since", "yesterday", "--since 'yesterday' is neither a time")]
    public async Task List_BadFilter_ExitsTwoNamingTheOption(string option, string value, string message)
    {
        using var folder = new TempFolder();
        var dir = EventFiles.Sample(folder);

        var result = await CliHarness.RunAsync("events", "list", "--dir", dir, option, value);

        Assert.Equal(ExitCodes.Usage, result.Exit);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_NoLog_ExitsTwoNamingTheDirectory()
    {
        using var folder = new TempFolder();

        var result = await CliHarness.RunAsync("events", "list", "--dir", folder.File("nothing-here"));

        Assert.Equal(ExitCodes.Usage, result.Exit);
        Assert.Contains("nothing-here", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_UniquePrefix_PrintsRequestAnswerAndAttempts()
    {
        using var folder = new TempFolder();
        var dir = EventFiles.Sample(folder);

        var result = await CliHarness.RunAsync("events", "show", "5f6071000003", "--dir", dir);
        var json = await CliHarness.RunAsync("events", "show", "0193A1F0C3B87A4C9D2E5F607100000", "--dir", dir);
        var ambiguous = await CliHarness.RunAsync("events", "show", "0193a1f0", "--dir", dir);
        var unknown = await CliHarness.RunAsync("events", "show", "ffff", "--dir", dir, "--json");

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        Assert.Contains("user: What is the capital of Germany?", result.Out, StringComparison.Ordinal);
        Assert.Contains("Munich.", result.Out, StringComparison.Ordinal);
        Assert.Contains("ServerError", result.Out, StringComparison.Ordinal);
        Assert.Contains("503", result.Out, StringComparison.Ordinal);
        Assert.Contains("globex", result.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, json.Exit);
        Assert.Contains("7 events have ids starting or ending", json.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, ambiguous.Exit);
        Assert.Equal(ExitCodes.Usage, unknown.Exit);
        Assert.Contains("no event with an id starting or ending 'ffff'", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_Json_WritesTheEventInTheLogFormat()
    {
        using var folder = new TempFolder();
        var dir = EventFiles.Sample(folder);

        var result = await CliHarness.RunAsync("events", "show", "0193a1f0c3b87a4c9d2e5f6071000006", "--dir", dir, "--json");

        Assert.Equal(ExitCodes.Success, result.Exit);
        var shown = FallbackEventJson.Parse(result.Out.Trim())!;
        Assert.Equal(FallbackEventOutcome.Exhausted, shown.Outcome);
        Assert.Equal("every provider failed", shown.Error!.Message);
        Assert.Contains("\"outcome\":\"exhausted\"", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_Json_CountsOutcomesAndAttemptsPerProviderAndReason()
    {
        using var folder = new TempFolder();
        var dir = EventFiles.Sample(folder);

        var result = await CliHarness.RunAsync("events", "stats", "--dir", dir, "--json");

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        var stats = JsonNode.Parse(result.Out)!;
        Assert.Equal(7, stats["events"]!.GetValue<int>());
        Assert.Equal(1, stats["malformed"]!.GetValue<int>());
        // Two answered events sampled at 1% stand for 100 calls each.
        Assert.Equal(205, stats["estimatedCalls"]!.GetValue<double>());
        var outcomes = stats["outcomes"]!.AsArray().ToDictionary(o => o!["outcome"]!.GetValue<string>(), o => o!["events"]!.GetValue<int>());
        Assert.Equal(new Dictionary<string, int> { ["fell_back"] = 4, ["answered"] = 2, ["exhausted"] = 1 }, outcomes);
        var reasons = stats["reasons"]!.AsArray().ToDictionary(r => $"{r!["provider"]} {r!["reason"]}", r => r!["attempts"]!.GetValue<int>());
        Assert.Equal(2, reasons["primary ServerError"]);
        Assert.Equal(1, reasons["primary RateLimited"]);
        Assert.Equal(1, reasons["backup RateLimited"]);
        Assert.Equal(4, reasons["backup None"]);
        var primary = stats["providers"]!.AsArray().Single(p => p!["provider"]!.GetValue<string>() == "primary")!;
        Assert.Equal((7, 5, 2, 4), (primary["attempts"]!.GetValue<int>(), primary["failures"]!.GetValue<int>(), primary["answered"]!.GetValue<int>(), primary["fellBackFrom"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Stats_Table_FilteredByTenant()
    {
        using var folder = new TempFolder();
        var dir = EventFiles.Sample(folder);

        var result = await CliHarness.RunAsync("events", "stats", "--dir", dir, "--tenant", "globex");

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        Assert.Contains("attempts by provider and reason", result.Out, StringComparison.Ordinal);
        Assert.Contains("2 events, 2 calls estimated, 1 unreadable lines skipped", result.Out, StringComparison.Ordinal);
    }
}
