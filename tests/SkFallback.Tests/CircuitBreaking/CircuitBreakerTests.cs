using Microsoft.Extensions.Time.Testing;
using SkFallback.CircuitBreaking;

namespace SkFallback.Tests.CircuitBreaking;

/// <summary>The breaker's state machine on a fake clock.</summary>
public class CircuitBreakerTests
{
    private static (CircuitBreaker Breaker, FakeTimeProvider Time) New(int threshold = 3, double jitter = 0, double random = 0.5)
    {
        var time = new FakeTimeProvider();
        var options = new CircuitBreakerOptions { FailureThreshold = threshold, BreakDuration = TimeSpan.FromSeconds(30), Jitter = jitter };
        return (new CircuitBreaker("p/m", options, time, () => random), time);
    }

    [Fact]
    public void OnFailure_ThresholdConsecutiveCountedFailures_Opens()
    {
        var (breaker, _) = New();

        breaker.OnFailure(FailureKind.ServerError, probe: false);
        breaker.OnFailure(FailureKind.Timeout, probe: false);
        Assert.Equal(CircuitState.Closed, breaker.State);
        breaker.OnFailure(FailureKind.ConnectionFailure, probe: false);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryEnter(out _));
    }

    [Fact]
    public void OnSuccess_BetweenFailures_ResetsTheCount()
    {
        var (breaker, _) = New();

        breaker.OnFailure(FailureKind.ServerError, probe: false);
        breaker.OnFailure(FailureKind.ServerError, probe: false);
        breaker.OnSuccess();
        breaker.OnFailure(FailureKind.ServerError, probe: false);
        breaker.OnFailure(FailureKind.ServerError, probe: false);

        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Theory]
    [InlineData(FailureKind.CallerError)]
    [InlineData(FailureKind.Refusal)]
    [InlineData(FailureKind.RateLimited)]
    [InlineData(FailureKind.ContextLengthExceeded)]
    public void OnFailure_UncountedKinds_NeverOpen(FailureKind kind)
    {
        var (breaker, _) = New(threshold: 1);

        for (var i = 0; i < 10; i++)
        {
            breaker.OnFailure(kind, probe: false);
        }

        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void TryEnter_WhileOpen_AdmitsNothingUntilTheBreakEnds_ThenOneProbe()
    {
        var (breaker, time) = New(threshold: 1);
        breaker.OnFailure(FailureKind.ServerError, probe: false);

        time.Advance(TimeSpan.FromSeconds(29.999));
        Assert.False(breaker.TryEnter(out _));
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(breaker.TryEnter(out var probe));
        Assert.True(probe);
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.False(breaker.TryEnter(out _));
    }

    [Fact]
    public void Probe_Succeeds_Closes()
    {
        var (breaker, time) = New(threshold: 1);
        breaker.OnFailure(FailureKind.ServerError, probe: false);
        time.Advance(TimeSpan.FromSeconds(30));
        breaker.TryEnter(out var probe);

        breaker.OnSuccess();

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryEnter(out var again));
        Assert.False(again);
    }

    [Fact]
    public void Probe_Fails_ReopensWithDoubledBreak()
    {
        var (breaker, time) = New(threshold: 1);
        breaker.OnFailure(FailureKind.ServerError, probe: false);
        time.Advance(TimeSpan.FromSeconds(30));
        breaker.TryEnter(out var probe);

        breaker.OnFailure(FailureKind.ServerError, probe);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(60), breaker.OpenUntil);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(breaker.TryEnter(out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(breaker.TryEnter(out _));
    }

    [Fact]
    public void Probe_Abandoned_NextCallerMayProbe()
    {
        var (breaker, time) = New(threshold: 1);
        breaker.OnFailure(FailureKind.ServerError, probe: false);
        time.Advance(TimeSpan.FromSeconds(30));
        breaker.TryEnter(out var probe);

        breaker.OnAbandoned(probe);

        Assert.True(breaker.TryEnter(out var next));
        Assert.True(next);
    }

    [Fact]
    public async Task TryEnter_HundredConcurrentCallersWhenDue_ExactlyOneProbe()
    {
        var (breaker, time) = New(threshold: 1);
        breaker.OnFailure(FailureKind.ServerError, probe: false);
        time.Advance(TimeSpan.FromSeconds(30));
        using var start = new ManualResetEventSlim();
        var admitted = 0;
        var probes = 0;

        var callers = Enumerable.Range(0, 100).Select(_ => Task.Run(() =>
        {
            start.Wait(TestContext.Current.CancellationToken);
            if (breaker.TryEnter(out var probe))
            {
                Interlocked.Increment(ref admitted);
                if (probe)
                {
                    Interlocked.Increment(ref probes);
                }
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        start.Set();
        await Task.WhenAll(callers);

        Assert.Equal(1, admitted);
        Assert.Equal(1, probes);
    }

    [Theory]
    [InlineData(0.0, 24)]
    [InlineData(0.5, 30)]
    [InlineData(1.0, 36)]
    public void BreakFor_JittersWithinTwentyPercent(double random, int expectedSeconds)
    {
        var (breaker, _) = New(jitter: 0.2, random: random);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), breaker.BreakFor(1));
    }

    [Fact]
    public void BreakFor_DoublesAndCapsAtMax()
    {
        var (breaker, _) = New();

        Assert.Equal(TimeSpan.FromSeconds(60), breaker.BreakFor(2));
        Assert.Equal(TimeSpan.FromSeconds(240), breaker.BreakFor(4));
        Assert.Equal(TimeSpan.FromMinutes(10), breaker.BreakFor(12));
    }

    [Fact]
    public void Apply_RemoteOpen_ClosesLocalTraffic_AndRemoteCloseReopensIt()
    {
        var (breaker, time) = New();

        breaker.Apply(CircuitState.Open, time.GetUtcNow() + TimeSpan.FromSeconds(10));
        Assert.False(breaker.TryEnter(out _));
        breaker.Apply(CircuitState.Closed, default);

        Assert.True(breaker.TryEnter(out var probe));
        Assert.False(probe);
    }
}
