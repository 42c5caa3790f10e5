namespace SkFallback;

/// <summary>Why one attempt against one provider did not produce a usable answer.</summary>
public enum FailureKind
{
    /// <summary>No failure: the attempt succeeded.</summary>
    None = 0,

    /// <summary>HTTP 429: the provider is rate limiting this caller. The provider is skipped until its <c>Retry-After</c> passes.</summary>
    RateLimited,

    /// <summary>HTTP 5xx (including Anthropic's 529 "overloaded").</summary>
    ServerError,

    /// <summary>The attempt took longer than its total timeout (or the provider answered 408).</summary>
    Timeout,

    /// <summary>A streaming attempt produced no content within its time-to-first-token timeout.</summary>
    FirstTokenTimeout,

    /// <summary>The connection failed, was reset, or ended in the middle of a response.</summary>
    ConnectionFailure,

    /// <summary>The provider answered with a body that could not be understood.</summary>
    MalformedResponse,

    /// <summary>A stream ended without its terminal event (no finish reason): the answer is incomplete.</summary>
    TruncatedStream,

    /// <summary>The provider refused: a policy error, finish reason <c>content_filter</c>, a refusal field, or refusal text returned as a success.</summary>
    Refusal,

    /// <summary>The request does not fit the model's context window.</summary>
    ContextLengthExceeded,

    /// <summary>HTTP 401/403: the provider rejected the credentials configured for it.</summary>
    Authentication,

    /// <summary>HTTP 404: the configured model or endpoint does not exist at the provider.</summary>
    NotFound,

    /// <summary>A 400-class error caused by the request itself; another provider would reject it too.</summary>
    CallerError,

    /// <summary>The provider was not called because it is cooling down after a rate limit.</summary>
    CoolingDown,

    /// <summary>The whole chain ran past its deadline.</summary>
    DeadlineExceeded,

    /// <summary>The caller cancelled the call.</summary>
    Cancelled,

    /// <summary>Any other exception thrown by the provider client.</summary>
    Unknown,

    /// <summary>The provider was not called because its circuit breaker is open (it is still tried last when nothing else is left).</summary>
    CircuitOpen,

    /// <summary>Skipped: the call's budget (per call, per turn or the tenant's day) cannot pay for this provider's estimated cost.</summary>
    BudgetExceeded,

    /// <summary>Skipped: the routing policy left the provider out (capability, quality tier, latency bound, or a rule's chain).</summary>
    Ineligible,

    /// <summary>A stream went quiet between updates for longer than its stall timeout after content had started.</summary>
    Stalled,
}
