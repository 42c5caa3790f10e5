namespace SkFallback.Routing;

/// <summary>
/// The <c>conditional</c> policy: the first of <see cref="RoutingOptions.Rules"/> whose conditions match the request's
/// metadata (user tier, region, tenant, task) picks the providers and their order; without a match,
/// <see cref="RoutingOptions.DefaultChain"/> (or the whole chain) is used.
/// </summary>
public sealed class ConditionalRoutingPolicy : IRoutingPolicy
{
    private readonly RoutingRule[] _rules;
    private readonly int[][] _chains;
    private readonly string[] _reasons;
    private readonly int[] _defaultChain;

    /// <summary>Initializes a new instance of the <see cref="ConditionalRoutingPolicy"/> class.</summary>
    /// <param name="options">The rules and the default chain.</param>
    /// <param name="providerNames">The chain's provider names, in chain order.</param>
    /// <exception cref="ArgumentException">A rule names a provider that is not in the chain.</exception>
    public ConditionalRoutingPolicy(RoutingOptions options, IReadOnlyList<string> providerNames)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(providerNames);
        _rules = [.. options.Rules];
        _chains = new int[_rules.Length][];
        _reasons = new string[_rules.Length];
        for (var r = 0; r < _rules.Length; r++)
        {
            _chains[r] = Resolve(_rules[r].Chain, providerNames, $"Routing:Rules:{r}:Chain");
            _reasons[r] = $"not in the chain of conditional rule {r} ({_rules[r]})";
        }

        _defaultChain = options.DefaultChain is { } chain
            ? Resolve(chain, providerNames, "Routing:DefaultChain")
            : [.. Enumerable.Range(0, providerNames.Count)];
    }

    /// <inheritdoc />
    public string Name => RoutingPolicyNames.Conditional;

    /// <inheritdoc />
    public IReadOnlyList<int> Route(RoutingRequest request, IReadOnlyList<RoutingCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(candidates);
        for (var r = 0; r < _rules.Length; r++)
        {
            if (!_rules[r].Matches(request))
            {
                continue;
            }

            ExcludeOthers(request, candidates, _chains[r], _reasons[r]);
            return _rules[r].Cheapest ? CheapestRoutingPolicy.Order(request, candidates, _chains[r]) : _chains[r];
        }

        ExcludeOthers(request, candidates, _defaultChain, "not in the default chain of conditional routing (no rule matched)");
        return _defaultChain;
    }

    private static void ExcludeOthers(RoutingRequest request, IReadOnlyList<RoutingCandidate> candidates, int[] chain, string reason)
    {
        if (chain.Length == candidates.Count)
        {
            return;
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            if (Array.IndexOf(chain, i) < 0)
            {
                request.Exclude(candidates[i], reason);
            }
        }
    }

    private static int[] Resolve(IList<string> names, IReadOnlyList<string> providerNames, string key)
    {
        var chain = new int[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            var index = -1;
            for (var p = 0; p < providerNames.Count; p++)
            {
                if (string.Equals(providerNames[p], names[i], StringComparison.OrdinalIgnoreCase))
                {
                    index = p;
                    break;
                }
            }

            if (index < 0)
            {
                throw new ArgumentException($"{FallbackOptions.SectionName}:{key}:{i} names '{names[i]}', which is not a provider of the chain ({string.Join(", ", providerNames)}).", nameof(names));
            }

            chain[i] = index;
        }

        return chain;
    }
}
