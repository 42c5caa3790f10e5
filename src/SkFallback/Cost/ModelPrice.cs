namespace SkFallback.Cost;

/// <summary>One pinned model of the <see cref="PriceCatalog"/>: its prices per million tokens, limits, capabilities and quality tier.</summary>
public sealed record ModelPrice
{
    /// <summary>Gets the pinned model id (for example <c>gpt-4o-2024-08-06</c>).</summary>
    public required string ModelId { get; init; }

    /// <summary>Gets the provider kind that serves the model, one of <see cref="ProviderKinds"/>.</summary>
    public required string Provider { get; init; }

    /// <summary>Gets the price of one million uncached input tokens, in US dollars.</summary>
    public required decimal InputPerMillion { get; init; }

    /// <summary>Gets the price of one million output tokens, in US dollars.</summary>
    public required decimal OutputPerMillion { get; init; }

    /// <summary>Gets the price of one million cached input tokens (cache hits), in US dollars.</summary>
    /// <value><see langword="null"/> when no cached price is known: cached tokens are then charged at <see cref="InputPerMillion"/>, never less.</value>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>Gets the context window in tokens (prompt and output together).</summary>
    public required int ContextWindow { get; init; }

    /// <summary>Gets the most output tokens one call may produce.</summary>
    public required int MaxOutputTokens { get; init; }

    /// <summary>Gets what the model accepts besides text.</summary>
    public ModelCapabilities Capabilities { get; init; }

    /// <summary>Gets the quality tier, 1 (lowest) to 5 (highest): an editorial ranking used to bound routing, not a benchmark score.</summary>
    public required int QualityTier { get; init; }

    /// <summary>Gets where the prices were taken from, and when.</summary>
    public string? Source { get; init; }

    /// <summary>The cost of prompt tokens: uncached ones at the input price, cached ones at the cached-input price (the input price when none is known).</summary>
    internal decimal InputCost(long promptTokens, long cachedPromptTokens) =>
        (((promptTokens - cachedPromptTokens) * InputPerMillion) + (cachedPromptTokens * (CachedInputPerMillion ?? InputPerMillion))) / 1_000_000m;

    /// <summary>
    /// The cost of an estimated call, all of its prompt uncached: the routing hot path's form, one multiplication by
    /// a millionth instead of a decimal division (the same value as <see cref="InputCost"/> + <see cref="OutputCost"/>).
    /// </summary>
    internal decimal EstimateCost(long promptTokens, long outputTokens) =>
        ((promptTokens * InputPerMillion) + (outputTokens * OutputPerMillion)) * PerToken;

    /// <summary>One millionth: multiplying is exact for decimals and much cheaper than dividing by a million.</summary>
    private const decimal PerToken = 0.000001m;

    /// <summary>The cost of output tokens at the output price.</summary>
    internal decimal OutputCost(long outputTokens) => outputTokens * OutputPerMillion / 1_000_000m;
}
