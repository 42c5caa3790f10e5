using Microsoft.Extensions.Time.Testing;
using SkFallback.Cost;

namespace SkFallback.Tests.Cost;

/// <summary>The learning rule of <see cref="OutputBilling"/>: jump to the over-billed ratio, cap it, fade its excess by half-lives.</summary>
public sealed class OutputBillingTests
{
    private static readonly TimeSpan HalfLife = TimeSpan.FromHours(1);

    [Fact]
    public void Factor_NeverOverbilled_IsOne()
    {
        var billing = new OutputBilling(new FakeTimeProvider(), 4.0, HalfLife);

        Assert.False(billing.Observe(100, 100));
        Assert.False(billing.Observe(20, 100));
        Assert.False(billing.Observe(100, 0));
        Assert.Equal(1.0, billing.Factor);
    }

    [Fact]
    public void Observe_PastTheAllowance_RaisesAtOnceToReportedOverAllowance()
    {
        var billing = new OutputBilling(new FakeTimeProvider(), 4.0, HalfLife);

        Assert.True(billing.Observe(250, 100));

        Assert.Equal(2.5, billing.Factor);
    }

    [Fact]
    public void Observe_RatioAboveTheMax_IsCappedAtTheMax()
    {
        var billing = new OutputBilling(new FakeTimeProvider(), 4.0, HalfLife);

        billing.Observe(1_000, 100);

        Assert.Equal(4.0, billing.Factor);
    }

    [Fact]
    public void Observe_MaxOfOne_LearningIsOff()
    {
        var billing = new OutputBilling(new FakeTimeProvider(), 1.0, HalfLife);

        Assert.False(billing.Observe(1_000, 100));

        Assert.Equal(1.0, billing.Factor);
    }

    [Fact]
    public void Observe_LowerRatioOrShortAnswer_KeepsTheLearnedFactor()
    {
        var billing = new OutputBilling(new FakeTimeProvider(), 4.0, HalfLife);
        billing.Observe(300, 100);

        Assert.False(billing.Observe(150, 100));
        Assert.False(billing.Observe(10, 100));

        Assert.Equal(3.0, billing.Factor);
    }

    [Fact]
    public void Factor_WithoutNewOverbilling_ExcessHalvesEveryHalfLife()
    {
        var clock = new FakeTimeProvider();
        var billing = new OutputBilling(clock, 4.0, HalfLife);
        billing.Observe(300, 100);

        clock.Advance(HalfLife);
        var one = billing.Factor;
        clock.Advance(HalfLife);
        var two = billing.Factor;
        clock.Advance(TimeSpan.FromDays(30));

        Assert.Equal(2.0, one, 9);
        Assert.Equal(1.5, two, 9);
        Assert.Equal(1.0, billing.Factor, 9);
    }

    [Fact]
    public void Observe_AboveTheFadedFactor_RaisesItAgainFromNow()
    {
        var clock = new FakeTimeProvider();
        var billing = new OutputBilling(clock, 4.0, HalfLife);
        billing.Observe(300, 100);
        clock.Advance(HalfLife * 2);

        Assert.False(billing.Observe(140, 100));
        Assert.True(billing.Observe(180, 100));
        clock.Advance(HalfLife);

        Assert.Equal(1.4, billing.Factor, 9);
    }

    [Fact]
    public void Observe_SameRatioAgain_RefreshesTheFactorWithoutReportingARise()
    {
        var clock = new FakeTimeProvider();
        var billing = new OutputBilling(clock, 4.0, HalfLife);
        billing.Observe(300, 100);
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.False(billing.Observe(300, 100));
        Assert.False(billing.Observe(320, 100));
        clock.Advance(HalfLife);

        // Refreshed a minute in at 3.2: one half-life later, 1 + 2.2 / 2.
        Assert.Equal(2.1, billing.Factor, 9);
    }

    [Fact]
    public void Observe_ConcurrentReports_KeepsTheHighest()
    {
        var billing = new OutputBilling(new FakeTimeProvider(), 100.0, HalfLife);

        Parallel.For(1, 201, i => billing.Observe(100 + i, 100));

        Assert.Equal(3.0, billing.Factor, 9);
    }
}
