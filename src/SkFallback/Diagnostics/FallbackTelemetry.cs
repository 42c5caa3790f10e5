using System.Diagnostics.Metrics;

namespace SkFallback.Diagnostics;

/// <summary>The names of SkFallback's activity source, meter, instruments and tags, in one place.</summary>
public static class FallbackTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> and the <see cref="System.Diagnostics.Metrics.Meter"/> of every chain.</summary>
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

    /// <summary>The meter of the parts a chain does not own (the spend ledger, the response cache); each chain has its own (<see cref="ChainTelemetry"/>).</summary>
    internal static readonly Meter Meter = new(SourceName, Version);

    internal static readonly Histogram<long> TokenUsage = Meter.CreateHistogram<long>(TokenUsageInstrument, "{token}", "Tokens used per provider attempt.");
    internal static readonly Counter<double> Cost = Meter.CreateCounter<double>(CostInstrument, "USD", "Spend at catalog prices.");

    internal static string? Version => typeof(FallbackTelemetry).Assembly.GetName().Version?.ToString();

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
