using Microsoft.Extensions.Time.Testing;
using SkFallback.Events;

namespace SkFallback.Tests.Events;

/// <summary>The JSONL file sink: rotation by size, retention by count and by age (on a fake clock), names as documented.</summary>
public sealed class FallbackEventFileSinkTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("skf-events-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static FallbackEvent Event(int n) => new()
    {
        Id = n.ToString("D32", System.Globalization.CultureInfo.InvariantCulture),
        Time = DateTimeOffset.UnixEpoch,
        Outcome = FallbackEventOutcome.FellBack,
        Request = [new FallbackEventMessage { Role = "user", Text = new string('x', 400) }],
    };

    private FallbackEventOptions Options(int retainFiles = 100, int retainDays = 0) =>
        new() { Directory = _directory, MaxFileBytes = 1024, RetainFiles = retainFiles, RetainDays = retainDays };

    [Fact]
    public async Task Write_PastMaxFileBytes_RotatesToTheNextSequence()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 18, 0, 0, TimeSpan.Zero));
        using var sink = new FallbackEventFileSink(Options(), clock);

        for (var i = 0; i < 10; i++)
        {
            await sink.WriteAsync([Event(i)], Ct);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        sink.Dispose();
        var files = FallbackEventFiles.List(_directory);
        Assert.True(files.Count >= 3, $"{files.Count} files");
        Assert.Equal("fallback-events-20261204T180000Z-000001.jsonl", Path.GetFileName(files[0]));
        Assert.All(files.SkipLast(1), f => Assert.InRange(new FileInfo(f).Length, 1024, 1024 + 600));
        var ids = files.SelectMany(f => FallbackEventJson.ReadFile(f, out _)).Select(e => int.Parse(e.Id, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Enumerable.Range(0, 10), ids);
    }

    [Fact]
    public async Task Rotation_BeyondRetainFiles_DeletesTheOldest()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 18, 0, 0, TimeSpan.Zero));
        using var sink = new FallbackEventFileSink(Options(retainFiles: 3), clock);

        for (var i = 0; i < 30; i++)
        {
            await sink.WriteAsync([Event(i)], Ct);
        }

        var files = FallbackEventFiles.List(_directory);
        Assert.Equal(3, files.Count);
        Assert.Equal(sink.CurrentPath, files[^1]);
    }

    [Fact]
    public async Task Rotation_FilesClosedMoreThanRetainDaysAgo_Deleted()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        using var sink = new FallbackEventFileSink(Options(retainDays: 2), clock);

        // Three files, one a day.
        for (var day = 0; day < 3; day++)
        {
            await sink.WriteAsync([Event(3 * day), Event((3 * day) + 1), Event((3 * day) + 2)], Ct);
            clock.Advance(TimeSpan.FromDays(1));
        }

        // Dec 4: the file of Dec 1 closed on Dec 2 (2 days ago, kept); a day later it goes.
        await sink.WriteAsync([Event(100)], Ct);
        Assert.Equal(4, FallbackEventFiles.List(_directory).Count);

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await sink.WriteAsync([Event(101), Event(102), Event(103)], Ct);
        await sink.WriteAsync([Event(104)], Ct);

        var left = FallbackEventFiles.List(_directory).Select(f => Path.GetFileName(f)).ToArray();
        Assert.DoesNotContain(left, f => f.Contains("20261201T", StringComparison.Ordinal));
        Assert.DoesNotContain(left, f => f.Contains("20261202T", StringComparison.Ordinal));
        Assert.Contains(left, f => f.Contains("20261203T", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NewSink_ContinuesAfterTheHighestSequence()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 18, 0, 0, TimeSpan.Zero));
        using (var first = new FallbackEventFileSink(Options(), clock))
        {
            await first.WriteAsync([Event(1)], Ct);
        }

        using var second = new FallbackEventFileSink(Options(), clock);
        await second.WriteAsync([Event(2)], Ct);

        Assert.EndsWith("-000002.jsonl", second.CurrentPath, StringComparison.Ordinal);
    }
}
