namespace SkFallback.Routing;

/// <summary>The names of the built-in routing policies (<c>SkFallback:Routing:Policy</c>).</summary>
public static class RoutingPolicyNames
{
    /// <summary>The chain in its configured order (the default).</summary>
    public const string Ordered = "ordered";

    /// <summary>The cheapest eligible candidate first, then the rest of the eligible ones by estimated cost.</summary>
    public const string Cheapest = "cheapest";

    /// <summary>Rules on request metadata (user tier, region, tenant, task) pick a chain.</summary>
    public const string Conditional = "conditional";
}
