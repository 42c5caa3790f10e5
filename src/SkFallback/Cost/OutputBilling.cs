namespace SkFallback.Cost;

/// <summary>
/// How far past its output allowance one provider/model has been seen to bill: the factor tenant reservations multiply
/// the allowance by (the request's output cap, else the model's catalog maximum output), learned from reported usage.
/// </summary>
/// <remarks>
/// <para>
/// Rule: a report of more output tokens than the allowance raises the factor at once to reported ÷ allowance, capped at
/// <see cref="BudgetOptions.MaxOutputOverbill"/>. It jumps rather than averaging (as the token estimator does) because a
/// budget must be covered from the next reservation on, not after an average catches up. Reports within the allowance
/// teach nothing: a short answer says nothing about how the provider bills a long one. Without new over-billing the
/// factor's excess over 1 halves every <see cref="BudgetOptions.OverbillHalfLife"/>, so a provider that stopped
/// over-billing gets its plain reservations back; a report above the faded factor raises it again.
/// </para>
/// <para>
/// Thread-safe. Reading a provider that never over-billed costs one field read (no clock); raising or refreshing the
/// factor allocates one small state object (only for an answer billed past its allowance).
/// </para>
/// </remarks>
internal sealed class OutputBilling
{
    /// <summary>The growth of the factor, as a multiple, that <see cref="Observe"/> reports.</summary>
    public const double NoticeableRise = 1.1;

    private readonly TimeProvider _time;
    private readonly double _max;
    private readonly double _halfLifeTicks;
    private Raised? _raised;

    public OutputBilling(TimeProvider time, double maxFactor, TimeSpan halfLife)
    {
        _time = time;
        _max = maxFactor;
        _halfLifeTicks = halfLife.Ticks;
    }

    /// <summary>Gets the factor now (1 for a provider that never billed past its allowance).</summary>
    public double Factor => Volatile.Read(ref _raised) is { } raised ? FactorOf(raised, _time.GetUtcNow()) : 1.0;

    /// <summary>
    /// Learns from one answer's reported output tokens against the allowance its reservation covered. A ratio above the
    /// current (faded) factor becomes the factor from now on, so a provider that keeps over-billing keeps its factor.
    /// </summary>
    /// <param name="reportedOutputTokens">The output tokens the provider reported (and billed).</param>
    /// <param name="allowanceTokens">The output allowance (request cap, else catalog maximum output).</param>
    /// <returns>Whether the factor rose by more than <see cref="NoticeableRise"/> (worth a log line; a refresh is not).</returns>
    public bool Observe(long reportedOutputTokens, long allowanceTokens)
    {
        if (allowanceTokens <= 0 || reportedOutputTokens <= allowanceTokens || _max <= 1.0)
        {
            return false;
        }

        var ratio = Math.Min(_max, (double)reportedOutputTokens / allowanceTokens);
        var now = _time.GetUtcNow();
        while (true)
        {
            var current = Volatile.Read(ref _raised);
            if (current is not null && ratio <= FactorOf(current, now))
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _raised, new Raised(ratio, now.UtcTicks), current) == current)
            {
                return ratio > (current is null ? 1.0 : FactorOf(current, now)) * NoticeableRise;
            }
        }
    }

    private double FactorOf(Raised raised, DateTimeOffset now)
    {
        var elapsed = now.UtcTicks - raised.AtTicks;
        if (elapsed <= 0)
        {
            return raised.Peak;
        }

        return 1.0 + ((raised.Peak - 1.0) * Math.Pow(0.5, elapsed / _halfLifeTicks));
    }

    private sealed record Raised(double Peak, long AtTicks);
}
