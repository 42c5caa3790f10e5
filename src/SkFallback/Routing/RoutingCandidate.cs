using SkFallback.CircuitBreaking;
using SkFallback.Cost;

namespace SkFallback.Routing;

/// <summary>
/// One provider of the chain as a routing policy sees it: what it costs, what it can take, and how it has been
/// doing. Built once per chain; <see cref="LatencyP95"/> and <see cref="State"/> read live state.
/// </summary>
public sealed class RoutingCandidate
{
    private readonly ChainProvider? _provider;

    internal RoutingCandidate(int index, ChainProvider provider, ModelPrice? price)
        : this(index, provider.Name, provider.Model, price, provider.ContextWindow ?? price?.ContextWindow, provider.MaxOutputTokens ?? price?.MaxOutputTokens)
    {
        _provider = provider;
    }

    /// <summary>Initializes a new instance of the <see cref="RoutingCandidate"/> class, detached from any chain (for tests and benchmarks of policies).</summary>
    /// <param name="index">The chain position.</param>
    /// <param name="name">The provider name.</param>
    /// <param name="model">The pinned model id.</param>
    /// <param name="price">The catalog entry of the model, if it has one.</param>
    /// <param name="contextWindow">The context window in tokens, if known.</param>
    /// <param name="maxOutputTokens">The output-token cap, if known.</param>
    /// <param name="latencyP95">The p95 attempt latency to report.</param>
    public RoutingCandidate(int index, string name, string model, ModelPrice? price, int? contextWindow = null, int? maxOutputTokens = null, TimeSpan? latencyP95 = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(model);
        Index = index;
        Name = name;
        Model = model;
        Price = price;
        ContextWindow = contextWindow ?? price?.ContextWindow;
        MaxOutputTokens = maxOutputTokens ?? price?.MaxOutputTokens;
        _fixedLatencyP95 = latencyP95;
        Family = TokenEstimator.FamilyOf(model);
    }

    /// <summary>Gets the tokenizer family of the model.</summary>
    internal TokenizerFamily Family { get; }

    private readonly TimeSpan? _fixedLatencyP95;

    /// <summary>Gets the provider's position in the chain.</summary>
    public int Index { get; }

    /// <summary>Gets the provider name.</summary>
    public string Name { get; }

    /// <summary>Gets the pinned model id.</summary>
    public string Model { get; }

    /// <summary>Gets the model's catalog entry (prices, limits, capabilities, quality tier), or <see langword="null"/> when the catalog does not list it.</summary>
    public ModelPrice? Price { get; }

    /// <summary>Gets the context window in tokens: the provider's configured one, else the catalog's; <see langword="null"/> when unknown.</summary>
    public int? ContextWindow { get; }

    /// <summary>Gets the output-token cap: the provider's configured one, else the catalog's; <see langword="null"/> when unknown.</summary>
    public int? MaxOutputTokens { get; }

    /// <summary>Gets the factor tenant reservations multiply this provider/model's output allowance by (1 until it bills past one; detached candidates: 1).</summary>
    internal double OutputBillFactor => _provider is { OutputBilling: { } billing } ? billing.Factor : 1.0;

    /// <summary>Gets what the model accepts, or <see langword="null"/> when it is not in the catalog (unknown, so never excluded for it).</summary>
    public ModelCapabilities? Capabilities => Price?.Capabilities;

    /// <summary>Gets the model's quality tier (1–5), or <see langword="null"/> when it is not in the catalog.</summary>
    public int? QualityTier => Price?.QualityTier;

    /// <summary>Gets the p95 latency of the provider's recent attempts, or <see langword="null"/> before it has <see cref="Health.ProviderHealthWindow.MinLatencySamples"/> of them.</summary>
    public TimeSpan? LatencyP95 => _provider is null ? _fixedLatencyP95 : _provider.Health.LatencyP95();

    /// <summary>Gets the provider's circuit breaker state (closed when breakers are off).</summary>
    public CircuitState State => _provider?.Breaker?.State ?? CircuitState.Closed;

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Model})";
}
