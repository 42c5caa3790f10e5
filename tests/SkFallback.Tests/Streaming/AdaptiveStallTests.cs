using Microsoft.Extensions.Time.Testing;
using SkFallback.Streaming;

namespace SkFallback.Tests.Streaming;

public sealed class AdaptiveStallTests
{
    private static readonly TimeSpan Timeout15s = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Floor2s = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(null, 15_000)]      // no samples yet: the timeout
    [InlineData(8, 2_000)]          // fast provider: the floor
    [InlineData(1_024, 4_096)]      // pauses of a second: 4 × p99
    [InlineData(8_192, 15_000)]     // long pauses: capped by the timeout
    public void Limit_P99Gap_IsFloorOrFactorTimesP99CappedByTimeout(int? p99Ms, int expectedMs)
    {
        var p99 = p99Ms is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), StallGaps.Limit(Timeout15s, Floor2s, 4, p99));
    }

    [Fact]
    public void Limit_FactorZeroOrInfiniteTimeout_DoesNotAdapt()
    {
        Assert.Equal(Timeout15s, StallGaps.Limit(Timeout15s, Floor2s, 0, TimeSpan.FromMilliseconds(8)));
        Assert.Equal(Timeout.InfiniteTimeSpan, StallGaps.Limit(Timeout.InfiniteTimeSpan, Floor2s, 4, TimeSpan.FromMilliseconds(8)));
    }

    [Fact]
    public void P99_FewerThanMinSamples_IsNull()
    {
        var gaps = new StallGaps();
        gaps.Record(TimeSpan.FromMilliseconds(5), StallGaps.MinSamples - 1);

        Assert.Null(gaps.P99());
        gaps.Record(TimeSpan.FromMilliseconds(5), 1);
        Assert.Equal(TimeSpan.FromMilliseconds(8), gaps.P99());
    }

    [Fact]
    public void Detector_FastStream_RecordsItsMeanGapPerCheck()
    {
        var time = new FakeTimeProvider();
        var gaps = new StallGaps();
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        detector.Start(target, Timeout15s, gaps);

        for (var i = 0; i < 300; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(5));
            detector.OnChunk();
        }

        Assert.False(detector.Stop());
        Assert.Equal(300, gaps.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(8), gaps.P99());
    }

    [Fact]
    public void Detector_PauseLongerThanACheck_RecordsItAsOneLongGap()
    {
        var time = new FakeTimeProvider();
        var gaps = new StallGaps();
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        detector.Start(target, Timeout15s, gaps);
        time.Advance(TimeSpan.FromSeconds(3));
        detector.OnChunk();
        time.Advance(TimeSpan.FromMilliseconds(750));

        detector.Stop();

        Assert.Equal(1, gaps.Count);
        gaps.Record(TimeSpan.FromMilliseconds(1), StallGaps.MinSamples);
        Assert.Equal(TimeSpan.FromMilliseconds(1), gaps.P99());
    }

    [Fact]
    public void Detector_AdaptedLimit_TripsAFastProviderWithinFivePercentOr50MsOfTheFloor()
    {
        var time = new FakeTimeProvider();
        var gaps = new StallGaps();
        gaps.Record(TimeSpan.FromMilliseconds(5), 1_000);
        var limit = StallGaps.Limit(Timeout15s, Floor2s, 4, gaps.P99());
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        DateTimeOffset? trippedAt = null;
        using var registration = target.Token.Register(() => trippedAt = time.GetUtcNow());
        detector.Start(target, limit, gaps);
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(5));
            detector.OnChunk();
        }

        var last = time.GetUtcNow();
        for (var step = 0; step < 20_000 && trippedAt is null; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(Floor2s, limit);
        Assert.InRange(trippedAt!.Value - last, Floor2s, Floor2s + TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Detector_StartedBeforeTheProviderHadSamples_AdoptsTheLearnedLimitAtItsNextCheck()
    {
        // Many streams started at once: none had samples at its start, so each began with the 15 s timeout; streams
        // that finish meanwhile teach the provider its gaps, and a stream that then stalls is caught near the floor.
        var time = new FakeTimeProvider();
        var gaps = new StallGaps();
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        DateTimeOffset? trippedAt = null;
        using var registration = target.Token.Register(() => trippedAt = time.GetUtcNow());
        detector.Start(target, Timeout15s, gaps, () => StallGaps.Limit(Timeout15s, Floor2s, 4, gaps.P99()));
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(5));
            detector.OnChunk();
        }

        var last = time.GetUtcNow();
        gaps.Record(TimeSpan.FromMilliseconds(5), 1_000);
        for (var step = 0; step < 20_000 && trippedAt is null; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        // At most one check of the cold limit (5% of 15 s) late, not 15 s.
        Assert.True(detector.Tripped);
        Assert.Equal(Floor2s, detector.StallTimeout);
        Assert.InRange(trippedAt!.Value - last, Floor2s, Floor2s + StreamStallDetector.PeriodFor(Timeout15s));
    }

    [Fact]
    public void Detector_LearnedLimitWhileAStreamIsQuiet_TripsOnceTheQuietTimeReachesIt()
    {
        var time = new FakeTimeProvider();
        var gaps = new StallGaps();
        using var detector = new StreamStallDetector(time);
        using var target = new CancellationTokenSource();
        detector.Start(target, Timeout15s, gaps, () => StallGaps.Limit(Timeout15s, Floor2s, 4, gaps.P99()));
        time.Advance(TimeSpan.FromMilliseconds(5));
        detector.OnChunk();
        for (var step = 0; step < 300; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.False(detector.Tripped);

        // Quiet for 3 s already when the provider learns a 2 s limit: the next check trips it.
        gaps.Record(TimeSpan.FromMilliseconds(5), 1_000);
        time.Advance(StreamStallDetector.PeriodFor(Timeout15s));

        Assert.True(detector.Tripped);
        Assert.True(target.IsCancellationRequested);
    }
}
