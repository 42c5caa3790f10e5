namespace SkFallback.Events;

/// <summary>
/// Which calls are logged: one draw per call, made once its outcome is known. Fallback events are drawn at
/// <see cref="FallbackEventOptions.FallbackSampleRate"/>, the others at <see cref="FallbackEventOptions.SampleRate"/>,
/// each overridden per tenant. A rate of 0 or 1 draws nothing.
/// </summary>
internal sealed class FallbackEventSampler
{
    private readonly double _rate;
    private readonly double _fallbackRate;
    private readonly Dictionary<string, (double Rate, double FallbackRate)>? _tenants;
    private readonly Func<double> _draw;

    public FallbackEventSampler(FallbackEventOptions options, Func<double>? draw = null)
    {
        _rate = options.SampleRate;
        _fallbackRate = options.FallbackSampleRate;
        _draw = draw ?? Random.Shared.NextDouble;
        if (options.Tenants.Count > 0)
        {
            _tenants = new(StringComparer.OrdinalIgnoreCase);
            foreach (var (tenant, rates) in options.Tenants)
            {
                _tenants[tenant] = (rates?.SampleRate ?? _rate, rates?.FallbackSampleRate ?? _fallbackRate);
            }
        }
    }

    /// <summary>Whether an outcome is a fallback event (logged at the fallback rate).</summary>
    public static bool IsFallback(FallbackEventOutcome outcome) =>
        outcome is FallbackEventOutcome.FellBack or FallbackEventOutcome.Continued or FallbackEventOutcome.Hedged
            or FallbackEventOutcome.Refused or FallbackEventOutcome.Exhausted;

    /// <summary>The rate a call of <paramref name="outcome"/> for <paramref name="tenant"/> is logged at.</summary>
    public double RateOf(FallbackEventOutcome outcome, string? tenant)
    {
        var fallback = IsFallback(outcome);
        if (_tenants is not null && tenant is not null && _tenants.TryGetValue(tenant, out var rates))
        {
            return fallback ? rates.FallbackRate : rates.Rate;
        }

        return fallback ? _fallbackRate : _rate;
    }

    /// <summary>The one draw of a call: whether it is logged at <paramref name="rate"/>.</summary>
    public bool Draw(double rate) => rate >= 1 || (rate > 0 && _draw() < rate);
}
