using System.Text.Json.Nodes;

namespace SkFallback.Cli.Tests.Events;

/// <summary><c>eval events</c>: backup answers scored against the golden answer or the primary's, the ones to review listed.</summary>
public sealed class EvalEventsTests
{
    private static string Golden(TempFolder folder) => folder.Write("golden.jsonl", """
        {"id":"capital-fr","prompt":"What is the capital of France?","expected":"Paris","checks":[{"type":"contains"}]}
        {"id":"capital-de","prompt":"What is the capital of Germany?","expected":"Berlin","checks":[{"type":"contains"}]}
        """);

    [Fact]
    public async Task EvalEvents_Json_ScoresAgainstGoldenOrPrimaryAndListsTheOnesToReview()
    {
        using var folder = new TempFolder();
        var dir = EventFiles.Sample(folder);

        var result = await CliHarness.RunAsync("eval", "events", "--dir", dir, "--dataset", Golden(folder), "--json");

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        var json = JsonNode.Parse(result.Out)!;
        var events = json["events"]!.AsArray().ToDictionary(e => e!["id"]!.GetValue<string>()[^2..]);
        // Backup answers only: 1 and 4 were answered by the primary, 6 by nobody.
        Assert.Equal(["02", "03", "05", "07"], events.Keys);
        Assert.Equal(("golden", "capital-fr", true), Verdict(events["02"]!));
        Assert.Equal(("golden", "capital-de", false), Verdict(events["03"]!));
        Assert.Contains("does not contain 'Berlin'", events["03"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        // The same weather request answered by the primary in event 4: MiniLM similarity of the two answers.
        Assert.Equal("primary", events["05"]!["basis"]!.GetValue<string>());
        Assert.EndsWith("000004", events["05"]!["reference"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(events["05"]!["passed"]!.GetValue<bool>(), events["05"]!.ToJsonString());
        Assert.Equal("none", events["07"]!["basis"]!.GetValue<string>());
        Assert.Null(events["07"]!["passed"]);
        Assert.Equal((3, 1, 1), (json["scored"]!.GetValue<int>(), json["toReview"]!.GetValue<int>(), json["unscored"]!.GetValue<int>()));
    }

    [Fact]
    public async Task EvalEvents_FailOnReview_ExitsOneNamingTheEvent()
    {
        using var folder = new TempFolder();
        var dir = EventFiles.Sample(folder);

        var result = await CliHarness.RunAsync("eval", "events", "--dir", dir, "--dataset", Golden(folder), "--fail-on-review", "--tenant", "globex");
        var clean = await CliHarness.RunAsync("eval", "events", "--dir", dir, "--dataset", Golden(folder), "--fail-on-review", "--tenant", "acme");

        Assert.True(result.Exit == ExitCodes.Regression, result.ToString());
        Assert.Contains("1 to review: 5f6071000003", result.Out, StringComparison.Ordinal);
        Assert.Contains("REVIEW", result.Out, StringComparison.Ordinal);
        Assert.True(clean.Exit == ExitCodes.Success, clean.ToString());
    }

    [Fact]
    public async Task EvalEvents_DriftedAnswerAgainstPrimary_IsToReview()
    {
        using var folder = new TempFolder();
        var dir = folder.File("events");
        EventFiles.Write(dir, 1,
        [
            EventFiles.Event(1, "Summarise the refund policy.", "Refunds are accepted within 30 days with a receipt.", SkFallback.Events.FallbackEventOutcome.Answered, attempts: EventFiles.Attempt("primary")),
            EventFiles.Event(2, "Summarise the refund policy.", "Our mascot is a purple giraffe named Steve.", SkFallback.Events.FallbackEventOutcome.FellBack,
                attempts: [EventFiles.Attempt("primary", FailureKind.ServerError, 503), EventFiles.Attempt("backup")]),
        ]);

        var result = await CliHarness.RunAsync("eval", "events", "--dir", dir, "--json");

        Assert.Equal(ExitCodes.Success, result.Exit);
        var reviewed = Assert.Single(JsonNode.Parse(result.Out)!["events"]!.AsArray())!;
        Assert.Equal("primary", reviewed["basis"]!.GetValue<string>());
        Assert.False(reviewed["passed"]!.GetValue<bool>());
        Assert.Contains("similarity", reviewed["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static (string Basis, string Reference, bool Passed) Verdict(JsonNode e) =>
        (e["basis"]!.GetValue<string>(), e["reference"]!.GetValue<string>(), e["passed"]!.GetValue<bool>());
}
