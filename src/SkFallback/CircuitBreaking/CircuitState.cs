namespace SkFallback.CircuitBreaking;

/// <summary>The state of one provider's circuit breaker.</summary>
public enum CircuitState
{
    /// <summary>Traffic flows; counted failures are being counted.</summary>
    Closed = 0,

    /// <summary>One probe request is in flight to find out whether the provider recovered.</summary>
    HalfOpen = 1,

    /// <summary>The provider failed repeatedly; it gets no traffic until its break ends (it is still tried last when nothing else is left).</summary>
    Open = 2,
}
