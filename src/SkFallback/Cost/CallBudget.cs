using SkFallback.Engine;
using SkFallback.Routing;

namespace SkFallback.Cost;

/// <summary>The per-call budget test: whether a candidate's estimate fits what is left of the call's limit.</summary>
internal static class CallBudget
{
    /// <summary>Whether the candidate's estimate fits what is left of the call's budget (always, without one).</summary>
    public static bool Fits(CallState call, RoutingRequest request, RoutingCandidate candidate, out decimal? estimate)
    {
        estimate = null;
        if (call.Plan?.MaxCost is not { } max)
        {
            return true;
        }

        estimate = request.EstimateCostUsd(candidate);
        return estimate is { } cost && cost <= max - call.Spent;
    }
}
