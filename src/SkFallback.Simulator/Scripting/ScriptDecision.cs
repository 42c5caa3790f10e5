using SkFallback.Simulator.RateLimiting;

namespace SkFallback.Simulator.Scripting;

/// <summary>What a model does with one request, and the rate-limit levels its response reports.</summary>
/// <param name="Behavior">The behaviour to apply (a bucket refusal is <c>rate_limited_bucket</c>).</param>
/// <param name="RateLimits">The levels after admission; <see langword="null"/> when the model has no rate limits.</param>
/// <param name="ReportedModel">The model id the response reports (a pinned version); <see langword="null"/> reports the requested id.</param>
internal readonly record struct ScriptDecision(SimulatedBehavior Behavior, RateLimitStatus? RateLimits, string? ReportedModel = null);
