using System.Text.Json;
using SkFallback.Events;

namespace SkFallback.Tests.Events;

/// <summary>The JSONL format readers such as the CLI rely on: field names, versions, file names.</summary>
public class FallbackEventJsonTests
{
    private static FallbackEvent Sample() => new()
    {
        Id = "0193a1f0c3b87a4c9d2e5f60718293a4",
        Time = new DateTimeOffset(2026, 12, 4, 18, 45, 0, TimeSpan.Zero),
        DurationMs = 412.5,
        Outcome = FallbackEventOutcome.FellBack,
        SampleRate = 1,
        Tenant = "acme",
        Labels = new Dictionary<string, string> { [FallbackEventLabels.GatewayKeyId] = "team-a" },
        Provider = "backup",
        Model = "m-b",
        CostUsd = 0.00021m,
        Request = [new FallbackEventMessage { Role = "user", Text = "hi" }],
        Response = new FallbackEventResponse { Text = "Done.", FinishReason = "stop", InputTokens = 12, OutputTokens = 2 },
        Attempts =
        [
            new FallbackEventAttempt { Provider = "primary", Model = "m-a", Reason = FailureKind.RateLimited, StatusCode = 429, StartMs = 0, ElapsedMs = 35.2 },
            new FallbackEventAttempt { Provider = "backup", Model = "m-b", Reason = FailureKind.None, StartMs = 35.9, ElapsedMs = 376.1, CostUsd = 0.00021m },
        ],
        Redactions = 1,
    };

    [Fact]
    public void Serialize_Event_IsOneLineOfSnakeCaseFieldsWithoutNulls()
    {
        var line = FallbackEventJson.Serialize(Sample());

        Assert.DoesNotContain('\n', line);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("v").GetInt32());
        Assert.Equal("fell_back", root.GetProperty("outcome").GetString());
        Assert.Equal(412.5, root.GetProperty("duration_ms").GetDouble());
        Assert.Equal("team-a", root.GetProperty("labels").GetProperty("gateway_key_id").GetString());
        var first = root.GetProperty("attempts")[0];
        Assert.Equal("RateLimited", first.GetProperty("reason").GetString());
        Assert.Equal(429, first.GetProperty("status_code").GetInt32());
        Assert.False(first.TryGetProperty("partial_output", out _));
        Assert.False(root.TryGetProperty("error", out _));
    }

    [Fact]
    public void Parse_SerializedEvent_RoundTrips()
    {
        var parsed = FallbackEventJson.Parse(FallbackEventJson.Serialize(Sample()))!;

        Assert.Equal(FallbackEventOutcome.FellBack, parsed.Outcome);
        Assert.Equal("acme", parsed.Tenant);
        Assert.Equal(2, parsed.Attempts.Count);
        Assert.Equal(FailureKind.None, parsed.Attempts[1].Reason);
        Assert.Equal(0.00021m, parsed.CostUsd);
        Assert.Equal("Done.", parsed.Response!.Text);
    }

    [Fact]
    public void Parse_UnknownFieldsAndBlankLine_IgnoredAndNull()
    {
        Assert.Null(FallbackEventJson.Parse("  "));
        var parsed = FallbackEventJson.Parse("""{"v":2,"id":"x","time":"2026-12-04T18:45:00+00:00","outcome":"exhausted","future_field":[1,2]}""")!;

        Assert.Equal(2, parsed.Version);
        Assert.Equal(FallbackEventOutcome.Exhausted, parsed.Outcome);
    }

    [Fact]
    public void ReadFile_CutLastLine_SkipsAndCountsIt()
    {
        var path = Path.Combine(Path.GetTempPath(), $"skf-events-{Guid.NewGuid():N}.jsonl");
        try
        {
            using (var file = File.Create(path))
            {
                FallbackEventJson.WriteLine(Sample(), file);
                FallbackEventJson.WriteLine(Sample(), file);
                file.Write("{\"v\":1,\"id\":"u8);
            }

            var events = FallbackEventJson.ReadFile(path, out var malformed);

            Assert.Equal(2, events.Count);
            Assert.Equal(1, malformed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Name_ParsesBackAndListSortsBySequence()
    {
        var opened = new DateTimeOffset(2026, 12, 4, 18, 45, 7, TimeSpan.Zero);
        var name = FallbackEventFiles.Name("fallback-events", opened, 42);

        Assert.Equal("fallback-events-20261204T184507Z-000042.jsonl", name);
        Assert.True(FallbackEventFiles.TryParse("fallback-events", name, out var at, out var sequence));
        Assert.Equal(opened, at);
        Assert.Equal(42, sequence);
        Assert.False(FallbackEventFiles.TryParse("other", name, out _, out _));

        var directory = Directory.CreateTempSubdirectory("skf-events-").FullName;
        try
        {
            foreach (var (time, seq) in new[] { (opened, 10L), (opened.AddDays(-1), 9L), (opened, 11L) })
            {
                File.WriteAllText(Path.Combine(directory, FallbackEventFiles.Name("fallback-events", time, seq)), string.Empty);
            }

            File.WriteAllText(Path.Combine(directory, "fallback-events-notes.jsonl"), string.Empty);

            var listed = FallbackEventFiles.List(directory).Select(p => FallbackEventFiles.TryParse("fallback-events", p, out _, out var s) ? s : -1).ToArray();

            Assert.Equal([9L, 10L, 11L], listed);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
