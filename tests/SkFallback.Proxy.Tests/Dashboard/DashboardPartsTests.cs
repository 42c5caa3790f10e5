using Microsoft.Extensions.Time.Testing;
using SkFallback.Proxy.Configuration;
using SkFallback.Proxy.Dashboard;
using SkFallback.Proxy.Keys;

namespace SkFallback.Proxy.Tests.Dashboard;

/// <summary>The dashboard's parts on their own: the traffic ring, the recent fallbacks, sessions, and its options' validation.</summary>
public sealed class DashboardPartsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static GatewayCall Call(DateTimeOffset at, params FallbackAttempt[] attempts) =>
        new(at, "main", "k", "acme", false, 200, attempts[^1].Provider, attempts, null, 0.01m);

    private static FallbackAttempt Ok(string provider) => new(provider, "m", FailureKind.None, 200, TimeSpan.FromMilliseconds(5));

    private static FallbackAttempt Failed(string provider) => new(provider, "m", FailureKind.ServerError, 503, TimeSpan.FromMilliseconds(5));

    [Fact]
    public void TrafficHistory_CountsAttemptsAndFailuresPerProviderAndBucket()
    {
        var history = new TrafficHistory(TimeSpan.FromMinutes(1)); // 6 buckets of 10 s
        history.Add(Call(Start, Failed("a"), Ok("b")));
        history.Add(Call(Start.AddSeconds(3), Ok("a")));
        history.Add(Call(Start.AddSeconds(25), Failed("a"), Failed("b"), Ok("c")));

        var (first, series) = history.Read(Start.AddSeconds(25));

        Assert.Equal(6, history.Buckets);
        Assert.Equal(Start.AddSeconds(-30), first);
        var a = series.Single(s => s.Provider == "a");
        Assert.Equal([0, 0, 0, 2, 0, 1], a.Attempts);
        Assert.Equal([0, 0, 0, 1, 0, 1], a.Failures);
        Assert.Equal([0, 0, 0, 1, 0, 1], series.Single(s => s.Provider == "b").Attempts);
        Assert.Equal([0, 0, 0, 0, 0, 1], series.Single(s => s.Provider == "c").Attempts);
    }

    [Fact]
    public void TrafficHistory_OldBucketsAgeOutAndReusedSlotsStartEmpty()
    {
        var history = new TrafficHistory(TimeSpan.FromMinutes(1));
        history.Add(Call(Start, Failed("a")));
        history.Add(Call(Start.AddSeconds(60), Ok("a"))); // the same ring slot, a minute later

        var (_, series) = history.Read(Start.AddSeconds(60));
        Assert.Equal([0, 0, 0, 0, 0, 1], series.Single().Attempts);
        Assert.Equal([0, 0, 0, 0, 0, 0], series.Single().Failures);

        var (_, later) = history.Read(Start.AddMinutes(5));
        Assert.All(later.Single().Attempts, count => Assert.Equal(0, count));
    }

    [Fact]
    public void TrafficHistory_SkippedAttemptsAreNotTraffic()
    {
        var history = new TrafficHistory(TimeSpan.FromMinutes(1));
        history.Add(Call(Start, new FallbackAttempt("a", "m", FailureKind.CircuitOpen, null, TimeSpan.Zero, Skipped: true), Ok("b")));

        var (_, series) = history.Read(Start);
        Assert.Equal(["b"], series.Select(s => s.Provider));
    }

    [Fact]
    public void RecentCalls_KeepsOnlyFallbacksNewestFirstWithinCapacity()
    {
        var recent = new RecentCalls(capacity: 2);
        recent.Add(Call(Start, Ok("a")));
        recent.Add(Call(Start.AddSeconds(1), Failed("a"), Ok("b")));
        recent.Add(Call(Start.AddSeconds(2), Failed("a"), Ok("c")));
        recent.Add(Call(Start.AddSeconds(3), Failed("b"), Ok("d")));

        Assert.Equal(4, recent.Calls);
        Assert.Equal(3, recent.Fallbacks);
        var kept = recent.Newest();
        Assert.Equal(["d", "c"], kept.Select(c => c.Provider));
        Assert.Equal([3L, 2L], kept.Select(c => c.Sequence));
    }

    [Fact]
    public void GatewayCall_ContinuedOrFailedCountsAsFallback()
    {
        Assert.False(Call(Start, Ok("a")).FellBack);
        Assert.True((Call(Start, Ok("b")) with { ContinuedFrom = ["a", "b"] }).FellBack);
        Assert.True((Call(Start, Failed("a")) with { Status = 503 }).FellBack);
    }

    [Fact]
    public void Sessions_AdminKeySignsInUntilTheSessionExpires()
    {
        var time = new FakeTimeProvider(Start);
        var sessions = new DashboardSessions(GatewayKeyHash.Digest("admin-key-0123456789"), time);

        Assert.False(sessions.TrySignIn("admin-key-012345678", out _));
        Assert.False(sessions.TrySignIn(null, out _));
        Assert.True(sessions.TrySignIn("admin-key-0123456789", out var token));
        Assert.Equal(64, token.Length);
        Assert.True(sessions.IsSignedIn(token));
        Assert.False(sessions.IsSignedIn(token[..^1] + (token[^1] == 'a' ? 'b' : 'a')));

        time.Advance(DashboardSessions.Lifetime - TimeSpan.FromSeconds(1));
        Assert.True(sessions.IsSignedIn(token));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(sessions.IsSignedIn(token));
    }

    [Fact]
    public void Sessions_SignOutEndsTheSession()
    {
        var sessions = new DashboardSessions(GatewayKeyHash.Digest("admin-key-0123456789"), new FakeTimeProvider(Start));
        Assert.True(sessions.TrySignIn("admin-key-0123456789", out var token));
        sessions.SignOut(token);
        Assert.False(sessions.IsSignedIn(token));
    }

    [Theory]
    [InlineData("AdminKeyHash", "sha256:nothex", "SkFallback:Proxy:Dashboard:AdminKeyHash must be 'sha256:'")]
    [InlineData("RefreshSeconds", "0", "SkFallback:Proxy:Dashboard:RefreshSeconds must be between 1 and 300 (was 0)")]
    [InlineData("History", "00:00:10", "SkFallback:Proxy:Dashboard:History must be between 00:01:00 and 02:00:00 (was 00:00:10)")]
    [InlineData("RecentFallbacks", "5000", "SkFallback:Proxy:Dashboard:RecentFallbacks must be between 1 and 1000 (was 5000)")]
    public async Task Options_Invalid_StartupFailsNamingTheKey(string key, string value, string expected)
    {
        var exception = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            Configuration = new Dictionary<string, string?> { [$"SkFallback:Proxy:Dashboard:{key}"] = value },
            ConsoleLogging = false,
        }, TestContext.Current.CancellationToken));

        Assert.Contains(exception.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void EvalResult_ReadsARunFileAndTheEvalPanelShowsEachTarget()
    {
        var path = Path.Combine(Path.GetTempPath(), $"skfallback-eval-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            {"format":1,"startedAt":"2026-12-04T10:00:00+00:00","dataset":"golden.jsonl","caseCount":2,
             "targets":[{"target":"primary","kind":"provider","models":["gpt-4o-2024-08-06"],"cases":2,"passed":1,"passRate":0.5,"meanScore":0.62,"latencyP50Ms":41.5,"costUsd":0.0012},
                        {"target":"<chain>","kind":"chain","models":[],"cases":2,"passed":2,"passRate":1,"meanScore":1,"latencyP50Ms":40,"costUsd":0.001}],
             "results":[]}
            """);
        try
        {
            var eval = EvalResult.TryRead(path);

            Assert.NotNull(eval);
            Assert.Equal("golden.jsonl", eval.Dataset);
            Assert.Equal(new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero), eval.StartedAt);
            Assert.Equal(["primary", "<chain>"], eval.Targets.Select(t => t.Target));
            Assert.Equal(0.5, eval.Targets[0].PassRate);
            Assert.Equal("gpt-4o-2024-08-06", eval.Targets[0].Models);

            var html = new System.Text.StringBuilder();
            DashboardEval.Write(html, eval);
            Assert.Contains("data-target=\"primary\"", html.ToString(), StringComparison.Ordinal);
            Assert.Contains("&lt;chain&gt;", html.ToString(), StringComparison.Ordinal); // encoded, never markup
            Assert.DoesNotContain("<chain>", html.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"format\":1}")]
    public void EvalResult_NotARunFile_IsNull(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"skfallback-eval-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        try
        {
            Assert.Null(EvalResult.TryRead(path));
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Null(EvalResult.TryRead(path)); // and a missing file
    }
}
