using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SkFallback.Diagnostics;

/// <summary>The names of SkFallback's activity source, meter, instruments and tags, in one place.</summary>
public static class FallbackTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and the <see cref="Meter"/>.</summary>
    public const string SourceName = "SkFallback";

    /// <summary>Counter of provider attempts, tagged with provider, model and outcome.</summary>
    public const string AttemptsInstrument = "skfallback.attempts";

    /// <summary>Counter of moves from one provider to the next, tagged with the provider left and the reason.</summary>
    public const string FallbacksInstrument = "skfallback.fallbacks";

    /// <summary>Histogram of attempt durations in seconds, tagged with provider, model and outcome.</summary>
    public const string AttemptDurationInstrument = "skfallback.attempt.duration";

    /// <summary>Histogram of whole-call durations in seconds, tagged with the provider that answered (or none) and the outcome.</summary>
    public const string CallDurationInstrument = "skfallback.call.duration";

    /// <summary>Counter of circuit breaker transitions, tagged with the provider key and the states left and entered.</summary>
    public const string BreakerTransitionsInstrument = "skfallback.breaker.transitions";

    /// <summary>Gauge of each provider's breaker state: 0 closed, 1 half-open, 2 open.</summary>
    public const string BreakerStateInstrument = "skfallback.breaker.state";

    /// <summary>Semantic-convention histogram of tokens per attempt, tagged with <c>gen_ai.token.type</c> (input or output), provider and model.</summary>
    public const string TokenUsageInstrument = "gen_ai.client.token.usage";

    /// <summary>Counter of spend in US dollars at catalog prices, tagged with provider, model and tenant (when set).</summary>
    public const string CostInstrument = "skfallback.cost";

    /// <summary>Semantic-convention tag: input or output tokens.</summary>
    public const string TokenTypeTag = "gen_ai.token.type";

    /// <summary>Tag: the tenant a call was made for.</summary>
    public const string TenantTag = "skfallback.tenant";

    /// <summary>Tag: a breaker's state before a transition.</summary>
    public const string FromStateTag = "skfallback.breaker.from";

    /// <summary>Tag: a breaker's state after a transition.</summary>
    public const string ToStateTag = "skfallback.breaker.to";

    /// <summary>Tag: provider name.</summary>
    public const string ProviderTag = "skfallback.provider";

    /// <summary>Tag: failure kind, or <c>None</c> for success.</summary>
    public const string OutcomeTag = "skfallback.outcome";

    /// <summary>Tag: why a call moved on.</summary>
    public const string ReasonTag = "skfallback.reason";

    /// <summary>Tag: number of attempts a call made.</summary>
    public const string AttemptCountTag = "skfallback.attempt_count";

    /// <summary>Semantic-convention tag: the model asked for.</summary>
    public const string RequestModelTag = "gen_ai.request.model";

    /// <summary>Semantic-convention tag: the operation.</summary>
    public const string OperationNameTag = "gen_ai.operation.name";

    /// <summary>Counter of answers served from the response cache, tagged with the layer (exact or semantic) and the provider that first produced them.</summary>
    public const string CacheHitsInstrument = "skfallback.cache.hits";

    /// <summary>Counter of cacheable requests the response cache could not serve.</summary>
    public const string CacheMissesInstrument = "skfallback.cache.misses";

    /// <summary>Counter of requests that skipped the response cache, tagged with the reason.</summary>
    public const string CacheBypassesInstrument = "skfallback.cache.bypasses";

    /// <summary>Counter, in US dollars at catalog prices, of what answers served from the cache cost when first produced, tagged with provider and model.</summary>
    public const string CacheSavedCostInstrument = "skfallback.cache.saved_cost";

    /// <summary>Counter of semantic near matches the cache guard rejected, tagged with the reason (number, quoted, entity, negation).</summary>
    public const string CacheGuardRejectionsInstrument = "skfallback.cache.guard_rejections";

    /// <summary>Counter of racers in hedged and parallel calls, tagged with provider and role: <c>primary</c>, <c>hedge</c> (started after the delay or in parallel) or <c>refused</c> (a hedge the hedge budget did not allow); and with <c>skfallback.race.won</c>.</summary>
    public const string RacersInstrument = "skfallback.racers";

    /// <summary>Tag: a racer's role in a hedged or parallel call.</summary>
    public const string RaceRoleTag = "skfallback.race.role";

    /// <summary>Tag: whether a racer's answer was the one used.</summary>
    public const string RaceWonTag = "skfallback.race.won";

    /// <summary>Tag: the cache layer that served an answer.</summary>
    public const string CacheLayerTag = "skfallback.cache.layer";

    internal static readonly ActivitySource ActivitySource = new(SourceName, typeof(FallbackTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly Meter Meter = new(SourceName, typeof(FallbackTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Attempts = Meter.CreateCounter<long>(AttemptsInstrument, "{attempt}", "Provider attempts by outcome.");
    internal static readonly Counter<long> Fallbacks = Meter.CreateCounter<long>(FallbacksInstrument, "{fallback}", "Moves to the next provider, by reason.");
    internal static readonly Histogram<double> AttemptDuration = Meter.CreateHistogram<double>(AttemptDurationInstrument, "s", "Duration of one provider attempt.");
    internal static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>(CallDurationInstrument, "s", "Duration of one fallback call, all attempts included.");

    internal static readonly Histogram<long> TokenUsage = Meter.CreateHistogram<long>(TokenUsageInstrument, "{token}", "Tokens used per provider attempt.");
    internal static readonly Counter<double> Cost = Meter.CreateCounter<double>(CostInstrument, "USD", "Spend at catalog prices.");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<FallbackChatClient, byte> LiveClients = new();

    internal static readonly ObservableGauge<int> BreakerState = Meter.CreateObservableGauge(
        BreakerStateInstrument, ObserveBreakers, "{state}", "Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.");

    internal static void Register(FallbackChatClient client) => LiveClients.TryAdd(client, 0);

    internal static void Unregister(FallbackChatClient client) => LiveClients.TryRemove(client, out _);

    private static IEnumerable<Measurement<int>> ObserveBreakers()
    {
        foreach (var client in LiveClients.Keys)
        {
            foreach (var (key, state) in client.BreakerStates())
            {
                yield return new Measurement<int>((int)state, new KeyValuePair<string, object?>(ProviderTag, key));
            }
        }
    }

    internal static readonly Counter<long> BreakerTransitions = Meter.CreateCounter<long>(BreakerTransitionsInstrument, "{transition}", "Circuit breaker transitions.");

    internal static void RecordBreakerTransition(string providerKey, CircuitBreaking.CircuitState from, CircuitBreaking.CircuitState to)
    {
        if (BreakerTransitions.Enabled)
        {
            BreakerTransitions.Add(1, new(ProviderTag, providerKey), new(FromStateTag, from.ToString()), new(ToStateTag, to.ToString()));
        }
    }

    internal static void RecordAttempt(string provider, string model, FailureKind outcome, TimeSpan elapsed)
    {
        if (Attempts.Enabled)
        {
            Attempts.Add(1, new(ProviderTag, provider), new(RequestModelTag, model), new(OutcomeTag, OutcomeName(outcome)));
        }

        if (AttemptDuration.Enabled)
        {
            AttemptDuration.Record(elapsed.TotalSeconds, new(ProviderTag, provider), new(RequestModelTag, model), new(OutcomeTag, OutcomeName(outcome)));
        }
    }

    internal static readonly Counter<long> Racers = Meter.CreateCounter<long>(RacersInstrument, "{attempt}", "Racers of hedged and parallel calls, by role and whether they won.");

    internal static void RecordRacer(string provider, string role, bool won)
    {
        if (Racers.Enabled)
        {
            Racers.Add(1, new(ProviderTag, provider), new(RaceRoleTag, role), new(RaceWonTag, won));
        }
    }

    internal static void RecordFallback(string provider, FailureKind reason)
    {
        if (Fallbacks.Enabled)
        {
            Fallbacks.Add(1, new(ProviderTag, provider), new(ReasonTag, OutcomeName(reason)));
        }
    }

    internal static void RecordCall(string? provider, FailureKind outcome, TimeSpan elapsed)
    {
        if (CallDuration.Enabled)
        {
            CallDuration.Record(elapsed.TotalSeconds, new(ProviderTag, provider ?? "none"), new(OutcomeTag, OutcomeName(outcome)));
        }
    }

    // Cached names: Enum.ToString allocates on every call.
    private static readonly string[] OutcomeNames = Enum.GetNames<FailureKind>();

    internal static string OutcomeName(FailureKind kind) => (uint)kind < (uint)OutcomeNames.Length ? OutcomeNames[(int)kind] : kind.ToString();

    internal static void RecordSpend(Cost.SpendRecord record)
    {
        if (TokenUsage.Enabled)
        {
            TokenUsage.Record(record.PromptTokens, new(OperationNameTag, "chat"), new(TokenTypeTag, "input"), new(ProviderTag, record.Provider), new(RequestModelTag, record.Model));
            TokenUsage.Record(record.OutputTokens, new(OperationNameTag, "chat"), new(TokenTypeTag, "output"), new(ProviderTag, record.Provider), new(RequestModelTag, record.Model));
        }

        if (Cost.Enabled)
        {
            Cost.Add((double)record.CostUsd, new(ProviderTag, record.Provider), new(RequestModelTag, record.Model), new(TenantTag, record.Tenant ?? "none"));
        }
    }
}
