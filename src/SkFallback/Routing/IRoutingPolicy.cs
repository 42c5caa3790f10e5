namespace SkFallback.Routing;

/// <summary>
/// Decides, for one request, which providers of the chain to try and in what order. Chosen by name in
/// configuration (<c>SkFallback:Routing:Policy</c>): the built-in <c>ordered</c>, <c>cheapest</c> and
/// <c>conditional</c>, or any policy registered with the chain.
/// </summary>
/// <remarks>
/// <para>
/// A policy runs once per call, before the first provider is contacted. It reads the request
/// (<see cref="RoutingRequest"/>: its metadata, bounds and per-candidate token and cost estimates) and the live state
/// of each candidate (<see cref="RoutingCandidate"/>: price, context window, capabilities, quality tier, p95 latency,
/// breaker state), and returns the chain positions to try, best first. Candidates it leaves out are skipped and
/// recorded as attempts with the reason given to <see cref="RoutingRequest.Exclude(RoutingCandidate, string)"/>.
/// </para>
/// <para>
/// The engine applies the rules no policy can turn off after the policy has ordered the candidates: a request too
/// long for a model's context window skips it, a budget skips candidates whose estimate exceeds what is left, and
/// open breakers and rate-limited providers are deferred to the end.
/// </para>
/// </remarks>
public interface IRoutingPolicy
{
    /// <summary>Gets the name the policy is chosen by in configuration (case-insensitive).</summary>
    string Name { get; }

    /// <summary>Orders the candidates for one request.</summary>
    /// <param name="request">The request, its metadata and bounds.</param>
    /// <param name="candidates">Every provider of the chain, in chain order (<see cref="RoutingCandidate.Index"/> is the position).</param>
    /// <returns>The chain positions to try, best first; each at most once. Positions left out are not tried.</returns>
    IReadOnlyList<int> Route(RoutingRequest request, IReadOnlyList<RoutingCandidate> candidates);
}
