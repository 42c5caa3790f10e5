namespace SkFallback;

/// <summary>
/// Keys under which a fallback response (and the first and last updates of a fallback stream) carry, in
/// <c>AdditionalProperties</c>, which provider answered and what was tried.
/// </summary>
public static class FallbackMetadataKeys
{
    /// <summary>The name of the provider that produced the answer (<see cref="string"/>).</summary>
    public const string Provider = "skfallback.provider";

    /// <summary>The pinned model id that produced the answer (<see cref="string"/>).</summary>
    public const string Model = "skfallback.model";

    /// <summary>Every attempt of the call, in order (<see cref="IReadOnlyList{T}"/> of <see cref="FallbackAttempt"/>).</summary>
    public const string Attempts = "skfallback.attempts";

    /// <summary>
    /// A <c>ChatOptions.AdditionalProperties</c> key naming the provider to try first for this request (<see cref="string"/>);
    /// the rest of the chain follows in order. Used to keep a tool loop on the provider that started it.
    /// </summary>
    public const string PreferProvider = "skfallback.prefer_provider";

    /// <summary>The actual cost of the answer in US dollars, from the usage the provider reported and the price catalog (<see cref="decimal"/>); absent when either is unknown.</summary>
    public const string CostUsd = "skfallback.cost_usd";

    /// <summary>The cost estimated before dispatch for the provider that answered, in US dollars (<see cref="decimal"/>); present when the call was routed by cost or under a budget.</summary>
    public const string EstimatedCostUsd = "skfallback.estimated_cost_usd";

    /// <summary>A request key: the tenant the call is made for (<see cref="string"/>); selects the tenant's daily budget and tags spend.</summary>
    public const string Tenant = "skfallback.tenant";

    /// <summary>A request key: the caller's user tier, for example <c>free</c> or <c>pro</c> (<see cref="string"/>), read by conditional routing.</summary>
    public const string UserTier = "skfallback.user_tier";

    /// <summary>A request key: the caller's region, for example <c>eu</c> (<see cref="string"/>), read by conditional routing.</summary>
    public const string Region = "skfallback.region";

    /// <summary>A request key: a task tag, for example <c>summarize</c> (<see cref="string"/>), read by conditional routing.</summary>
    public const string Task = "skfallback.task";

    /// <summary>A request key: the most this call may cost in US dollars (a number); candidates whose estimate exceeds it are skipped.</summary>
    public const string MaxCostUsd = "skfallback.max_cost_usd";

    /// <summary>A request key: the p95 latency bound for cheapest routing (a <see cref="TimeSpan"/> or a number of milliseconds).</summary>
    public const string MaxLatency = "skfallback.max_latency";

    /// <summary>A request key: the lowest acceptable quality tier, 1–5 (a number), for cheapest routing.</summary>
    public const string MinQualityTier = "skfallback.min_quality_tier";

    /// <summary>A request key: the name of the routing policy to use for this call instead of the configured one (<see cref="string"/>).</summary>
    public const string RoutingPolicy = "skfallback.routing_policy";

    /// <summary>A request key: the <see cref="Cost.TurnBudget"/> this call draws from (shared by every model call of one agent turn).</summary>
    public const string TurnBudget = "skfallback.turn_budget";

    /// <summary>A request key: the most one agent turn may cost in US dollars (a number), read by <see cref="Cost.TurnBudgetChatClient"/> (and so by the Semantic Kernel service) at the start of a turn.</summary>
    public const string MaxTurnCostUsd = "skfallback.max_turn_cost_usd";

    /// <summary>A request key: <c>Stream</c> or <c>BufferWhole</c> (a <see cref="Streaming.StreamingMode"/> or its name), overriding <c>SkFallback:Streaming:Mode</c> for this call.</summary>
    public const string StreamingMode = "skfallback.streaming_mode";

    /// <summary>On a streamed update: the providers whose output the caller's answer joins, in order (<see cref="IReadOnlyList{T}"/> of <see cref="string"/>), on the last update when a stream was continued.</summary>
    public const string ContinuedFrom = "skfallback.continued_from";

    /// <summary>A request key: how the call races providers, a <see cref="Routing.HedgingMode"/> or its name (<c>none</c>, <c>hedged</c>, <c>parallel</c>); the chain's setting by default.</summary>
    public const string Hedging = "skfallback.hedging";

    /// <summary>
    /// A <see cref="Microsoft.Extensions.AI.UsageDetails.AdditionalCounts"/> key: of the input tokens in a continued stream's
    /// usage, how many are estimated (the prompts of providers that broke off before reporting usage, counted with the
    /// chain's token estimator) rather than reported by a provider.
    /// </summary>
    /// <remarks>
    /// A stream continued after a break carries, on its last update, a <see cref="Microsoft.Extensions.AI.UsageContent"/>
    /// for the parts whose providers never reported usage, so that <c>ToChatResponse().Usage</c>, which sums every
    /// usage content, covers all providers that wrote part of the answer. A stream that was not continued has no
    /// such content.
    /// </remarks>
    public const string EstimatedInputTokens = "skfallback.estimated_input_tokens";

    /// <summary>
    /// A <see cref="Microsoft.Extensions.AI.UsageDetails.AdditionalCounts"/> key: of the output tokens in a continued stream's
    /// usage, how many are estimated (the text delivered by providers that broke off before reporting usage) rather
    /// than reported by a provider. See <see cref="EstimatedInputTokens"/>.
    /// </summary>
    public const string EstimatedOutputTokens = "skfallback.estimated_output_tokens";

    /// <summary>
    /// A request key: labels the call's fallback event carries (<see cref="IReadOnlyDictionary{TKey, TValue}"/> or
    /// <see cref="IEnumerable{T}"/> of <see cref="KeyValuePair{TKey, TValue}"/> of <see cref="string"/>), for example the
    /// gateway's <see cref="Events.FallbackEventLabels"/>; read only when the call is logged.
    /// </summary>
    public const string EventLabels = "skfallback.event_labels";

    /// <summary>The prefix every SkFallback request key starts with; such keys are removed before a request reaches a provider.</summary>
    public const string Prefix = "skfallback.";
}
