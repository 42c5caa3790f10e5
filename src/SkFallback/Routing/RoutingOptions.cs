namespace SkFallback.Routing;

/// <summary>How a chain picks and orders its providers per request (section <c>SkFallback:Routing</c>).</summary>
public sealed class RoutingOptions
{
    /// <summary>Gets or sets the routing policy's name: <c>ordered</c> (default), <c>cheapest</c>, <c>conditional</c>, or the <see cref="IRoutingPolicy.Name"/> of a policy given to the chain.</summary>
    /// <value>Defaults to <see cref="RoutingPolicyNames.Ordered"/>. An unknown name fails at startup naming <c>SkFallback:Routing:Policy</c>.</value>
    public string Policy { get; set; } = RoutingPolicyNames.Ordered;

    /// <summary>Gets or sets the p95 latency bound <c>cheapest</c> applies when a request does not set <see cref="FallbackMetadataKeys.MaxLatency"/>.</summary>
    /// <value>Defaults to <see langword="null"/> (unbounded). A candidate without latency history is never excluded for it.</value>
    public TimeSpan? MaxLatency { get; set; }

    /// <summary>Gets or sets the lowest quality tier (1–5) <c>cheapest</c> accepts when a request does not set <see cref="FallbackMetadataKeys.MinQualityTier"/>.</summary>
    /// <value>Defaults to <see langword="null"/> (any tier).</value>
    public int? MinQualityTier { get; set; }

    /// <summary>Gets the rules of <c>conditional</c> routing, tried in order; the first whose conditions all match picks the chain.</summary>
    public IList<RoutingRule> Rules { get; } = [];

    /// <summary>Gets or sets the providers <c>conditional</c> routing uses when no rule matches, by name, in order.</summary>
    /// <value>Defaults to <see langword="null"/>: the whole chain in its configured order.</value>
    public IList<string>? DefaultChain { get; set; }

    /// <summary>Gets the hedged and parallel call settings (section <c>SkFallback:Routing:Hedging</c>).</summary>
    public HedgingOptions Hedging { get; } = new();
}

/// <summary>One rule of conditional routing: when every condition set matches the request's metadata, the request goes down <see cref="Chain"/>.</summary>
public sealed class RoutingRule
{
    /// <summary>Gets or sets the user tier to match (<see cref="FallbackMetadataKeys.UserTier"/>), case-insensitive; <see langword="null"/> matches any.</summary>
    public string? UserTier { get; set; }

    /// <summary>Gets or sets the region to match (<see cref="FallbackMetadataKeys.Region"/>), case-insensitive; <see langword="null"/> matches any.</summary>
    public string? Region { get; set; }

    /// <summary>Gets or sets the tenant to match (<see cref="FallbackMetadataKeys.Tenant"/>), case-insensitive; <see langword="null"/> matches any.</summary>
    public string? Tenant { get; set; }

    /// <summary>Gets or sets the task tag to match (<see cref="FallbackMetadataKeys.Task"/>), case-insensitive; <see langword="null"/> matches any.</summary>
    public string? Task { get; set; }

    /// <summary>Gets the providers to use, by name, in order. Required; every name must be a provider of the chain.</summary>
    public IList<string> Chain { get; } = [];

    /// <summary>Gets or sets a value indicating whether the rule's chain is ordered by estimated cost (cheapest first) instead of as listed.</summary>
    public bool Cheapest { get; set; }

    /// <summary>Whether the rule matches the request.</summary>
    /// <param name="request">The request.</param>
    /// <returns><see langword="true"/> when every condition set matches.</returns>
    public bool Matches(RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Match(UserTier, request.UserTier) && Match(Region, request.Region) && Match(Tenant, request.Tenant) && Match(Task, request.Task);
    }

    private static bool Match(string? condition, string? value) =>
        condition is null || string.Equals(condition, value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public override string ToString() =>
        $"when tier={UserTier ?? "*"} region={Region ?? "*"} tenant={Tenant ?? "*"} task={Task ?? "*"} use {string.Join(" > ", Chain)}";
}
