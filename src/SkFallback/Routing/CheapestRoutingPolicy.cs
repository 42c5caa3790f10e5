using SkFallback.Cost;

namespace SkFallback.Routing;

/// <summary>
/// The <c>cheapest</c> policy: of the candidates whose capabilities fit the request (tools, vision, JSON), whose
/// quality tier is at least the request's minimum and whose p95 latency is within the request's bound, the one with
/// the lowest estimated cost goes first, and the others follow by estimated cost. Candidates without a catalog price
/// come last, in chain order.
/// </summary>
/// <remarks>
/// A candidate whose capabilities or quality tier are unknown (not in the catalog) is kept when the request does not
/// ask for them, and left out when it does (a minimum tier cannot be shown to be met). A candidate without latency
/// history is never left out for latency.
/// </remarks>
public sealed class CheapestRoutingPolicy : IRoutingPolicy
{
    private const int StackLimit = 64;

    /// <inheritdoc />
    public string Name => RoutingPolicyNames.Cheapest;

    /// <inheritdoc />
    public IReadOnlyList<int> Route(RoutingRequest request, IReadOnlyList<RoutingCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(candidates);
        return Order(request, candidates, null);
    }

    /// <summary>Orders the eligible candidates (of <paramref name="subset"/> when given, else all) by estimated cost.</summary>
    internal static int[] Order(RoutingRequest request, IReadOnlyList<RoutingCandidate> candidates, int[]? subset)
    {
        var n = subset?.Length ?? candidates.Count;
        Span<int> order = n <= StackLimit ? stackalloc int[n] : new int[n];
        Span<decimal> costs = n <= StackLimit ? stackalloc decimal[n] : new decimal[n];
        var count = 0;
        for (var k = 0; k < n; k++)
        {
            var candidate = candidates[subset is null ? k : subset[k]];
            if (!Eligible(request, candidate))
            {
                continue;
            }

            var cost = request.EstimateCostUsd(candidate) ?? decimal.MaxValue;

            // Insertion sort: stable, so equal costs keep chain order; n is small.
            var at = count;
            while (at > 0 && costs[at - 1] > cost)
            {
                costs[at] = costs[at - 1];
                order[at] = order[at - 1];
                at--;
            }

            costs[at] = cost;
            order[at] = candidate.Index;
            count++;
        }

        return order[..count].ToArray();
    }

    private static bool Eligible(RoutingRequest request, RoutingCandidate candidate)
    {
        var needed = request.RequiredCapabilities;
        if (needed != ModelCapabilities.None && candidate.Capabilities is { } has && (needed & ~has) != 0)
        {
            request.Exclude(candidate, RoutingRequest.ExclusionKind.Capabilities, (long)(needed & ~has), 0);
            return false;
        }

        if (request.MinQualityTier is int minimum)
        {
            if (candidate.QualityTier is not int tier)
            {
                request.Exclude(candidate, RoutingRequest.ExclusionKind.TierUnknown, minimum, 0);
                return false;
            }

            if (tier < minimum)
            {
                request.Exclude(candidate, RoutingRequest.ExclusionKind.TierBelow, tier, minimum);
                return false;
            }
        }

        if (request.MaxLatency is { } bound && candidate.LatencyP95 is { } p95 && p95 > bound)
        {
            request.Exclude(candidate, RoutingRequest.ExclusionKind.Latency, p95.Ticks, bound.Ticks);
            return false;
        }

        return true;
    }
}
