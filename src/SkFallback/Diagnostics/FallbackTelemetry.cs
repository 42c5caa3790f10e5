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

    /// <summary>Semantic-convention histogram of the tokens a provider reported per attempt, tagged with <c>gen_ai.token.type</c> (input or output), the GenAI provider, models and server.</summary>
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

    /// <summary>Counter of fallback events a full event-log queue dropped (never written).</summary>
    public const string EventsDroppedInstrument = "skfallback.events.dropped";

    /// <summary>Counter of fallback events written to the event log's sink.</summary>
    public const string EventsWrittenInstrument = "skfallback.events.written";

    /// <summary>Tag: the cache layer that served an answer.</summary>
    public const string CacheLayerTag = "skfallback.cache.layer";

    /// <summary>The name of a non-streaming call's activity (kind Internal): the fallback call, parent of its attempts' <c>chat {model}</c> spans.</summary>
    public const string CallActivityName = "skfallback.chat";

    /// <summary>The name of a streaming call's activity (kind Internal), parent of its attempts' spans.</summary>
    public const string StreamCallActivityName = "skfallback.chat.stream";

    /// <summary>The name of the response cache's lookup activity (kind Internal), tagged with <see cref="CacheHitTag"/>.</summary>
    public const string CacheLookupActivityName = "skfallback.cache.lookup";

    /// <summary>The environment variable that opts in to message content on spans (<c>true</c>, case-insensitive), as the GenAI conventions name it.</summary>
    public const string CaptureMessageContentVariable = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

    /// <summary>Semantic-convention histogram of one attempt's duration in seconds (each attempt is one GenAI client operation), tagged with <c>error.type</c> when it failed.</summary>
    public const string OperationDurationInstrument = "gen_ai.client.operation.duration";

    /// <summary>Semantic-convention histogram of the time from a streaming attempt's start to its first chunk with content, in seconds.</summary>
    public const string TimeToFirstChunkInstrument = "gen_ai.client.operation.time_to_first_chunk";

    /// <summary>The operation of every attempt span and GenAI metric.</summary>
    public const string ChatOperation = "chat";

    /// <summary>Semantic-convention tag: the GenAI provider (<c>openai</c>, <c>anthropic</c>, <c>mistral_ai</c>, <c>deepseek</c>, <c>gcp.gemini</c>, ...).</summary>
    public const string ProviderNameTag = "gen_ai.provider.name";

    /// <summary>Semantic-convention tag: the model that answered.</summary>
    public const string ResponseModelTag = "gen_ai.response.model";

    /// <summary>Semantic-convention tag: the provider's id of the response.</summary>
    public const string ResponseIdTag = "gen_ai.response.id";

    /// <summary>Semantic-convention tag: why the model stopped, as an array (<c>["stop"]</c>).</summary>
    public const string FinishReasonsTag = "gen_ai.response.finish_reasons";

    /// <summary>Tag, as MEAI names it: a streaming attempt's time to its first chunk with content, in seconds.</summary>
    public const string TimeToFirstChunkTag = "gen_ai.response.time_to_first_chunk";

    /// <summary>Semantic-convention tag: the request streams.</summary>
    public const string RequestStreamTag = "gen_ai.request.stream";

    /// <summary>Semantic-convention tag: input tokens the provider reported.</summary>
    public const string InputTokensTag = "gen_ai.usage.input_tokens";

    /// <summary>Semantic-convention tag: output tokens the provider reported.</summary>
    public const string OutputTokensTag = "gen_ai.usage.output_tokens";

    /// <summary>Semantic-convention tag: the messages sent (only when message content is opted in).</summary>
    public const string InputMessagesTag = "gen_ai.input.messages";

    /// <summary>Semantic-convention tag: the messages received (only when message content is opted in).</summary>
    public const string OutputMessagesTag = "gen_ai.output.messages";

    /// <summary>Semantic-convention tag: the provider's host.</summary>
    public const string ServerAddressTag = "server.address";

    /// <summary>Semantic-convention tag: the provider's port.</summary>
    public const string ServerPortTag = "server.port";

    /// <summary>Semantic-convention tag: why an attempt or call failed, as its <see cref="FailureKind"/> name (<c>RateLimited</c>, <c>Stalled</c>, ...).</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>Semantic-convention tag: the HTTP status a failed attempt got.</summary>
    public const string HttpStatusTag = "http.response.status_code";

    /// <summary>Tag: the attempt's place among the call's attempts, from 0 in the order they started.</summary>
    public const string AttemptIndexTag = "skfallback.attempt.index";

    /// <summary>Tag: which retry of its provider the attempt is (0 for the first try).</summary>
    public const string AttemptRetryTag = "skfallback.attempt.retry";

    /// <summary>Tag: why the call made this attempt: the failure kind of the attempt before it (absent on the first).</summary>
    public const string FallbackReasonTag = "skfallback.fallback.reason";

    /// <summary>Tag: the provider's breaker state when the attempt started (<c>Closed</c>, <c>HalfOpen</c>: the probe, <c>Open</c>: the last resort).</summary>
    public const string BreakerStateTag = "skfallback.breaker.state";

    /// <summary>Tag: what the attempt (or, on the call's span, the call) was charged, in US dollars at catalog prices.</summary>
    public const string CostTag = "skfallback.cost";

    /// <summary>Tag: the provider whose broken stream this attempt continues.</summary>
    public const string ContinuedFromTag = "skfallback.continued_from";

    /// <summary>Tag: whether the response cache answered (on its lookup span).</summary>
    public const string CacheHitTag = "skfallback.cache.hit";

    /// <summary>Tag: the model that answered a call (on the call's span).</summary>
    public const string ModelTag = "skfallback.model";

    /// <summary>The meter of the parts a chain does not own (the spend ledger, the response cache); each chain has its own (<see cref="ChainTelemetry"/>).</summary>
    internal static readonly Meter Meter = new(SourceName, Version);

    internal static readonly Counter<double> Cost = Meter.CreateCounter<double>(CostInstrument, "USD", "Spend at catalog prices.");

    internal static readonly Counter<long> EventsDropped = Meter.CreateCounter<long>(EventsDroppedInstrument, "{event}", "Fallback events dropped by a full event-log queue.");
    internal static readonly Counter<long> EventsWritten = Meter.CreateCounter<long>(EventsWrittenInstrument, "{event}", "Fallback events written to the event log's sink.");

    internal static string? Version => typeof(FallbackTelemetry).Assembly.GetName().Version?.ToString();

    // Cached names: Enum.ToString allocates on every call.
    private static readonly string[] OutcomeNames = Enum.GetNames<FailureKind>();

    internal static string OutcomeName(FailureKind kind) => (uint)kind < (uint)OutcomeNames.Length ? OutcomeNames[(int)kind] : kind.ToString();

    internal static void RecordSpend(Cost.SpendRecord record)
    {
        if (Cost.Enabled)
        {
            Cost.Add((double)record.CostUsd, new(ProviderTag, record.Provider), new(RequestModelTag, record.Model), new(TenantTag, record.Tenant ?? "none"));
        }
    }
}
