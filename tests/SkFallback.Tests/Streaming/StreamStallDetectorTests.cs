using CsCheck;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Streaming;

namespace SkFallback.Tests.Streaming;

public sealed class StreamStallDetectorTests
{
    private static readonly TimeSpan Timeout4s = TimeSpan.FromSeconds(4);

    [Fact]
    public void Start_NoChunkForTheTimeout_CancelsTheTargetAtTheTimeout()
    {
        var time = new FakeTimeProvider();
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        detector.Start(target, Timeout4s);

        time.Advance(TimeSpan.FromMilliseconds(3999));
        Assert.False(target.IsCancellationRequested);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(target.IsCancellationRequested);
        Assert.True(detector.Tripped);
        Assert.True(detector.Stop());
    }

    [Fact]
    public void OnChunk_ChunksCloserThanTheTimeout_NeverTrip()
    {
        var time = new FakeTimeProvider();
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        detector.Start(target, Timeout4s);

        for (var i = 0; i < 100; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(3900));
            detector.OnChunk();
        }

        Assert.False(target.IsCancellationRequested);
        Assert.False(detector.Stop());
    }

    [Fact]
    public void Property_RandomGaps_TripOnlyAfterAQuietTimeoutAndWithinFivePercentOfIt()
    {
        // Gaps in milliseconds between chunks; the timeout is 4000 ms.
        Gen.Int[0, 6000].Array[1, 40].Sample(gaps =>
        {
            var time = new FakeTimeProvider();
            using var detector = new StreamStallDetector(time);
            using var target = new CancellationTokenSource();
            DateTimeOffset? trippedAt = null;
            using var registration = target.Token.Register(() => trippedAt = time.GetUtcNow());
            detector.Start(target, Timeout4s);
            var lastActivity = time.GetUtcNow();

            foreach (var gap in gaps)
            {
                // Move in small steps so the moment of the trip is observed.
                for (var moved = 0; moved < gap && trippedAt is null; moved += 50)
                {
                    time.Advance(TimeSpan.FromMilliseconds(Math.Min(50, gap - moved)));
                }

                if (trippedAt is not null)
                {
                    break;
                }

                detector.OnChunk();
                lastActivity = time.GetUtcNow();
            }

            var longest = gaps.Max();
            if (longest < 4000)
            {
                Assert.Null(trippedAt);
            }

            if (trippedAt is { } at)
            {
                Assert.InRange(at - lastActivity, Timeout4s, Timeout4s * 1.05);
                Assert.InRange(detector.QuietFor, Timeout4s, at - lastActivity);
            }
            else
            {
                Assert.True(gaps.All(g => g < 4200), "a gap of 1.05 timeouts or more must trip");
            }
        }, iter: 300);
    }

    [Theory]
    [InlineData(15_000, 10, 750)]
    [InlineData(4_000, 25, 200)]
    [InlineData(1_000, 3, 50)]
    [InlineData(200, 7, 50)]
    [InlineData(40, 1, 40)]
    public void Start_StreamGoesQuietAfterFastChunks_TripsWithinFivePercentOr50Ms(int timeoutMs, int chunkGapMs, int allowedLateMs)
    {
        var timeout = TimeSpan.FromMilliseconds(timeoutMs);
        var time = new FakeTimeProvider();
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        DateTimeOffset? trippedAt = null;
        using var registration = target.Token.Register(() => trippedAt = time.GetUtcNow());
        detector.Start(target, timeout);
        for (var i = 0; i < 37; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(chunkGapMs));
            detector.OnChunk();
        }

        var lastChunk = time.GetUtcNow();
        for (var step = 0; step < 100_000 && trippedAt is null; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var gap = trippedAt!.Value - lastChunk;
        Assert.InRange(gap, timeout, timeout + TimeSpan.FromMilliseconds(allowedLateMs));
        Assert.InRange(detector.QuietFor, timeout - TimeSpan.FromMilliseconds(allowedLateMs), gap);
        Assert.True(detector.QuietFor >= timeout);
    }

    [Theory]
    [InlineData(15_000, 750)]
    [InlineData(1_000, 50)]
    [InlineData(100, 50)]
    [InlineData(30, 30)]
    public void PeriodFor_Timeout_IsFivePercentAtLeast50MsAtMostTheTimeout(int timeoutMs, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), StreamStallDetector.PeriodFor(TimeSpan.FromMilliseconds(timeoutMs)));
    }

    [Fact]
    public void Stop_BeforeTheTimeout_LeavesTheTargetAlone()
    {
        var time = new FakeTimeProvider();
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        detector.Start(target, Timeout4s);

        Assert.False(detector.Stop());
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.False(target.IsCancellationRequested);
    }

    [Fact]
    public void Start_AgainAfterATrip_WatchesTheNewTargetFromScratch()
    {
        var time = new FakeTimeProvider();
        using var detector = new StreamStallDetector(time);
        using var first = new CancellationTokenSource();
        detector.Start(first, Timeout4s);
        time.Advance(Timeout4s);
        Assert.True(detector.Stop());

        using var second = new CancellationTokenSource();
        detector.Start(second, TimeSpan.FromSeconds(8));
        Assert.False(detector.Tripped);
        time.Advance(TimeSpan.FromSeconds(7));
        Assert.False(second.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(second.IsCancellationRequested);
        Assert.Equal(TimeSpan.FromSeconds(8), detector.StallTimeout);
    }

    [Fact]
    public void Start_InfiniteTimeout_NeverTrips()
    {
        var time = new FakeTimeProvider();
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        detector.Start(target, Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromDays(1));

        Assert.False(target.IsCancellationRequested);
    }

    [Fact]
    public void Start_TimeoutTooShort_Throws()
    {
        using var detector = new StreamStallDetector(new FakeTimeProvider());
        using var target = new CancellationTokenSource();

        Assert.Throws<ArgumentOutOfRangeException>(() => detector.Start(target, TimeSpan.Zero));
    }

    [Fact]
    public void OnChunk_AllocatesNothing()
    {
        using var detector = new StreamStallDetector(TimeProvider.System);
        using var target = new CancellationTokenSource();
        detector.Start(target, TimeSpan.FromMinutes(1));
        detector.OnChunk();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++)
        {
            detector.OnChunk();
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        detector.Stop();
    }
}
