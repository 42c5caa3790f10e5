namespace SkFallback.CircuitBreaking;

/// <summary>Configures the circuit breaker each provider (and model) of a chain gets.</summary>
/// <remarks>Bound from <c>SkFallback:CircuitBreaker</c>; validated with the rest of <see cref="FallbackOptions"/>.</remarks>
public sealed class CircuitBreakerOptions
{
    /// <summary>Gets or sets a value indicating whether providers have breakers at all.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets how many consecutive counted failures open the breaker.</summary>
    /// <value>Defaults to 3. Allowed range 1–100.</value>
    public int FailureThreshold { get; set; } = 3;

    /// <summary>Gets or sets how long an opened breaker stays open before it admits one probe.</summary>
    /// <value>Defaults to 30 s. Allowed range 1 s–10 minutes.</value>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the fraction by which each break is jittered either way, so replicas do not probe in step.</summary>
    /// <value>Defaults to 0.2 (±20%). Allowed range 0–0.5.</value>
    public double Jitter { get; set; } = 0.2;

    /// <summary>Gets or sets the longest break: a probe that fails doubles the break, up to this.</summary>
    /// <value>Defaults to 10 minutes. Allowed range 1 s–1 hour, and at least <see cref="BreakDuration"/>.</value>
    public TimeSpan MaxBreakDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets the failures that count towards opening the breaker.</summary>
    /// <value>Defaults to <see langword="null"/>, meaning <see cref="DefaultCountedFailures"/>: server errors, timeouts, connection failures, malformed and truncated responses. Caller errors, refusals and rate limits never count.</value>
    public IList<FailureKind>? CountedFailures { get; set; }

    /// <summary>Gets the failures counted when <see cref="CountedFailures"/> is not set.</summary>
    public static IReadOnlyList<FailureKind> DefaultCountedFailures { get; } =
    [
        FailureKind.ServerError, FailureKind.Timeout, FailureKind.FirstTokenTimeout, FailureKind.ConnectionFailure,
        FailureKind.MalformedResponse, FailureKind.TruncatedStream,
    ];
}
