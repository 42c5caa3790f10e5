namespace SkFallback.Streaming;

/// <summary>How a streamed answer is delivered.</summary>
public enum StreamingMode
{
    /// <summary>Updates reach the caller as they arrive, after the commit buffer; a stream that breaks after commit is continued on the next provider.</summary>
    Stream = 0,

    /// <summary>The whole answer is held until the provider finishes it, so any failure switches providers invisibly (the non-streaming behaviour, for critical paths).</summary>
    BufferWhole,
}

/// <summary>Streaming resilience (section <c>SkFallback:Streaming</c>): the commit buffer, stall detection and continuation after commit.</summary>
public sealed class StreamingOptions
{
    /// <summary>Gets or sets how streams are delivered; a request may choose with <see cref="FallbackMetadataKeys.StreamingMode"/>.</summary>
    /// <value>Defaults to <see cref="StreamingMode.Stream"/>.</value>
    public StreamingMode Mode { get; set; } = StreamingMode.Stream;

    /// <summary>
    /// Gets or sets how many content updates (about one token each) are held before the first reaches the caller.
    /// A failure while they are held switches providers without the caller seeing anything.
    /// </summary>
    /// <value>Defaults to 8. Allowed range 0–1000; 0 commits at the first content (after the refusal probe).</value>
    public int CommitChunks { get; set; } = 8;

    /// <summary>Gets or sets how long after the first content the buffer is held at most; whichever of this and <see cref="CommitChunks"/> comes first commits.</summary>
    /// <value>Defaults to 250 ms. Allowed range 0–1 minute. Checked when an update arrives.</value>
    public TimeSpan CommitDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets or sets the longest quiet time allowed between two updates once content has started; a stream quiet for longer fails with <see cref="FailureKind.Stalled"/>.</summary>
    /// <value>Defaults to 15 s. Allowed range 1 ms–1 hour; <see cref="Timeout.InfiniteTimeSpan"/> turns it off.</value>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets the shortest stall limit adaptation may set: once a provider has enough measured gaps between
    /// updates, a stream of it is stalled after max(<see cref="StallFloor"/>, <see cref="StallFactor"/> × its p99 gap),
    /// never later than <see cref="StallTimeout"/>.
    /// </summary>
    /// <value>
    /// Defaults to 2 s. Allowed range 1 ms–1 hour. Hosted models stream a token every 10–50 ms and their p95 gap is in
    /// the hundreds of milliseconds, so 2 s is several times any healthy gap; models that pause while reasoning
    /// mid-answer need a per-provider <see cref="ProviderOptions.StallFloor"/> above their pauses.
    /// </value>
    public TimeSpan StallFloor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets how many times a provider's observed p99 gap between updates is a stall (see <see cref="StallFloor"/>).</summary>
    /// <value>Defaults to 4. Allowed range 0–1000; 0 turns adaptation off (only <see cref="StallTimeout"/> applies).</value>
    public double StallFactor { get; set; } = 4;

    /// <summary>
    /// Gets or sets a value indicating whether a stream that fails after commit is continued on the next provider
    /// (assistant prefill, prefix completion or an instructed continuation; the seam is trimmed so nothing repeats).
    /// </summary>
    /// <value>Defaults to <see langword="true"/>. When off, such a failure ends the call with <see cref="FallbackExhaustedException.OutputCommitted"/> set.</value>
    public bool ContinueAfterCommit { get; set; } = true;
}
