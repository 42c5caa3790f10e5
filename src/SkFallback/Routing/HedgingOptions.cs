namespace SkFallback.Routing;

/// <summary>Whether a call races several providers, and how.</summary>
public enum HedgingMode
{
    /// <summary>One provider at a time: the next is tried only after the one before it failed (the default).</summary>
    None,

    /// <summary>
    /// The first candidate starts alone; when it has not answered after the hedge delay, the next candidate starts too,
    /// and so on up to <see cref="HedgingOptions.MaxAttempts"/>. The first answer wins and the others are cancelled.
    /// </summary>
    Hedged,

    /// <summary>The first <see cref="HedgingOptions.MaxAttempts"/> candidates start at once; the first answer wins and the others are cancelled.</summary>
    Parallel,
}

/// <summary>
/// Hedged and parallel calls (section <c>SkFallback:Routing:Hedging</c>): racing candidates cuts tail latency at
/// the price of the losers' partial cost, which a hedge budget caps. A streaming race is won by the first stream to
/// commit (<see cref="Streaming.StreamingOptions.CommitChunks"/>); what the losers streamed never reaches the caller.
/// </summary>
public sealed class HedgingOptions
{
    /// <summary>Gets or sets whether calls race providers; a request can choose with <see cref="FallbackMetadataKeys.Hedging"/>.</summary>
    /// <value>Defaults to <see cref="HedgingMode.None"/>.</value>
    public HedgingMode Mode { get; set; } = HedgingMode.None;

    /// <summary>Gets or sets how many candidates one race may run: the primary and its hedges.</summary>
    /// <value>Defaults to 2; from 2 to 8.</value>
    public int MaxAttempts { get; set; } = 2;

    /// <summary>
    /// Gets or sets how long a hedged call waits for an answer (for a stream, its first content) before it starts the
    /// next candidate, when the primary has too little history for <see cref="DelayFromObservedP95"/>.
    /// </summary>
    /// <value>Defaults to 2 seconds.</value>
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets or sets a value indicating whether the hedge delay is the primary's observed p95: its time to first
    /// content for streams, its answer time otherwise, once it has <see cref="Health.ProviderHealthWindow.MinLatencySamples"/> samples.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool DelayFromObservedP95 { get; set; } = true;

    /// <summary>
    /// Gets or sets the most extra attempts the chain may start per call, on average: each call earns this much credit
    /// (saved up to a hundred calls' worth, so hedges can meet a burst of slow calls), and every hedge spends one. 0.1 hedges at most about one call in ten.
    /// </summary>
    /// <value>Defaults to 0.1; from 0 to <see cref="MaxAttempts"/> − 1.</value>
    public double MaxExtraAttemptFraction { get; set; } = 0.1;

    /// <summary>
    /// Gets or sets the most the hedges may cost, as a fraction of what the calls' primary attempts cost. A hedge is
    /// started only when its upper-bound cost fits the credit earned so far, so the cap holds for every call, not on
    /// average; a hedge whose model has no catalog price is not started under this cap.
    /// </summary>
    /// <value>Defaults to <see langword="null"/> (no cost cap); otherwise greater than 0.</value>
    public double? MaxExtraCostFraction { get; set; }
}
