using SkFallback.Cost;
using SkFallback.Routing;

namespace SkFallback.Engine.Admission;

/// <summary>
/// Defers a provider whose last rate-limit headers say this request would not fit before its window resets, instead
/// of sending it a request it would refuse with 429.
/// </summary>
internal sealed class RateLimitRule(CallPlanner planner, TimeProvider timeProvider, AttemptRecorder recorder) : AdmissionRule
{
    public override bool Defers => true;

    public override bool Admit(CallState call, ChainProvider provider, ref bool probe)
    {
        if (!provider.RateLimit.Known)
        {
            return true;
        }

        // Counted once per encoding and call, corrected per model.
        var needed = planner.RequestOf(call).PromptTokens(provider.Candidate) + (call.Options?.MaxOutputTokens ?? provider.MaxOutputTokens ?? 0);
        if (!provider.RateLimit.WouldExceed(needed, timeProvider.GetUtcNow(), out var reason))
        {
            return true;
        }

        recorder.Skipped(call, provider, FailureKind.CoolingDown, $"rate limit: {reason}; tried last if nothing else answers");
        return false;
    }
}
