namespace SkFallback.Routing;

/// <summary>The <c>ordered</c> policy: every provider, in the chain's configured order.</summary>
public sealed class OrderedRoutingPolicy : IRoutingPolicy
{
    private int[] _identity = [];

    /// <inheritdoc />
    public string Name => RoutingPolicyNames.Ordered;

    /// <inheritdoc />
    public IReadOnlyList<int> Route(RoutingRequest request, IReadOnlyList<RoutingCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var identity = _identity;
        if (identity.Length != candidates.Count)
        {
            identity = new int[candidates.Count];
            for (var i = 0; i < identity.Length; i++)
            {
                identity[i] = i;
            }

            _identity = identity;
        }

        return identity;
    }
}
