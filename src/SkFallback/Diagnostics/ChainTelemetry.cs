using System.Diagnostics;
using System.Diagnostics.Metrics;
using SkFallback.CircuitBreaking;
using SkFallback.Routing;

namespace SkFallback.Diagnostics;

/// <summary>
/// One chain's activity source and instruments, named by <see cref="FallbackTelemetry"/>: created with the chain and
/// disposed with it, so the breaker-state gauge observes this chain's providers and no registry of live chains is needed.
/// </summary>
internal sealed class ChainTelemetry : IDisposable
{
    private readonly Meter _meter;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _fallbacks;
    private readonly Histogram<double> _attemptDuration;
    private readonly Histogram<double> _callDuration;
    private readonly Counter<long> _breakerTransitions;
    private readonly Counter<long> _racers;

    /// <param name="providers">The chain's providers (filled in as they are built).</param>
    /// <param name="content">Masks keys in message content put on attempt spans; <see langword="null"/> when content is not captured.</param>
    public ChainTelemetry(IReadOnlyList<ChainProvider> providers, SecretRedactor? content)
    {
        ActivitySource = new ActivitySource(FallbackTelemetry.SourceName, FallbackTelemetry.Version);
        _meter = new Meter(FallbackTelemetry.SourceName, FallbackTelemetry.Version);
        Attempts = new AttemptTelemetry(ActivitySource, _meter, content);
        _attempts = _meter.CreateCounter<long>(FallbackTelemetry.AttemptsInstrument, "{attempt}", "Provider attempts by outcome.");
        _fallbacks = _meter.CreateCounter<long>(FallbackTelemetry.FallbacksInstrument, "{fallback}", "Moves to the next provider, by reason.");
        _attemptDuration = _meter.CreateHistogram<double>(FallbackTelemetry.AttemptDurationInstrument, "s", "Duration of one provider attempt.");
        _callDuration = _meter.CreateHistogram<double>(FallbackTelemetry.CallDurationInstrument, "s", "Duration of one fallback call, all attempts included.");
        _breakerTransitions = _meter.CreateCounter<long>(FallbackTelemetry.BreakerTransitionsInstrument, "{transition}", "Circuit breaker transitions.");
        _racers = _meter.CreateCounter<long>(FallbackTelemetry.RacersInstrument, "{attempt}", "Racers of hedged and parallel calls, by role and whether they won.");
        _meter.CreateObservableGauge(
            FallbackTelemetry.BreakerStateInstrument, () => ObserveBreakers(providers), "{state}", "Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.");
    }

    public ActivitySource ActivitySource { get; }

    /// <summary>Gets the attempts' spans and GenAI metrics.</summary>
    public AttemptTelemetry Attempts { get; }

    /// <summary>
    /// Starts the call's span (kind Internal, no <c>gen_ai.*</c> attributes of its own: the GenAI operations are its
    /// attempts, so a <c>UseOpenTelemetry()</c> span above the chain is never duplicated by it).
    /// </summary>
    public Activity? StartActivity(bool streaming) =>
        ActivitySource.HasListeners() ? ActivitySource.StartActivity(streaming ? FallbackTelemetry.StreamCallActivityName : FallbackTelemetry.CallActivityName) : null;

    public void RecordBreakerTransition(string providerKey, CircuitState from, CircuitState to)
    {
        if (_breakerTransitions.Enabled)
        {
            _breakerTransitions.Add(1, new(FallbackTelemetry.ProviderTag, providerKey), new(FallbackTelemetry.FromStateTag, from.ToString()), new(FallbackTelemetry.ToStateTag, to.ToString()));
        }
    }

    public void RecordAttempt(string provider, string model, FailureKind outcome, TimeSpan elapsed)
    {
        if (_attempts.Enabled)
        {
            _attempts.Add(1, new(FallbackTelemetry.ProviderTag, provider), new(FallbackTelemetry.RequestModelTag, model), new(FallbackTelemetry.OutcomeTag, FallbackTelemetry.OutcomeName(outcome)));
        }

        if (_attemptDuration.Enabled)
        {
            _attemptDuration.Record(elapsed.TotalSeconds, new(FallbackTelemetry.ProviderTag, provider), new(FallbackTelemetry.RequestModelTag, model), new(FallbackTelemetry.OutcomeTag, FallbackTelemetry.OutcomeName(outcome)));
        }
    }

    public void RecordRacer(string provider, string role, bool won)
    {
        if (_racers.Enabled)
        {
            _racers.Add(1, new(FallbackTelemetry.ProviderTag, provider), new(FallbackTelemetry.RaceRoleTag, role), new(FallbackTelemetry.RaceWonTag, won));
        }
    }

    public void RecordFallback(string provider, FailureKind reason)
    {
        if (_fallbacks.Enabled)
        {
            _fallbacks.Add(1, new(FallbackTelemetry.ProviderTag, provider), new(FallbackTelemetry.ReasonTag, FallbackTelemetry.OutcomeName(reason)));
        }
    }

    public void RecordCall(string? provider, FailureKind outcome, TimeSpan elapsed)
    {
        if (_callDuration.Enabled)
        {
            _callDuration.Record(elapsed.TotalSeconds, new(FallbackTelemetry.ProviderTag, provider ?? "none"), new(FallbackTelemetry.OutcomeTag, FallbackTelemetry.OutcomeName(outcome)));
        }
    }

    public void Dispose()
    {
        _meter.Dispose();
        ActivitySource.Dispose();
    }

    private static IEnumerable<Measurement<int>> ObserveBreakers(IReadOnlyList<ChainProvider> providers)
    {
        foreach (var provider in providers)
        {
            // A chain still being built has empty slots.
            if (provider?.Breaker is { } breaker)
            {
                yield return new Measurement<int>((int)breaker.State, new KeyValuePair<string, object?>(FallbackTelemetry.ProviderTag, provider.Key));
            }
        }
    }
}
