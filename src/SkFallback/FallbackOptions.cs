namespace SkFallback;

/// <summary>Configures a fallback chain: its providers in order, retries, timeouts and which failures fall back.</summary>
/// <remarks>Bound from the configuration section <see cref="SectionName"/> (<c>SkFallback</c>) or set in code; validated when the chain is built.</remarks>
public sealed class FallbackOptions
{
    /// <summary>The configuration section the options bind from by default.</summary>
    public const string SectionName = "SkFallback";

    /// <summary>Gets the providers, in the order they are tried.</summary>
    public IList<ProviderOptions> Providers { get; } = [];

    /// <summary>Gets or sets how many same-provider retries one call may spend in total across the whole chain.</summary>
    /// <value>Defaults to 2. Allowed range 0–100. Moving on to the next provider does not spend it.</value>
    public int RetryBudget { get; set; } = 2;

    /// <summary>Gets or sets how many times one provider may be retried within one call (for failures in <see cref="RetryOn"/>), within <see cref="RetryBudget"/>.</summary>
    /// <value>Defaults to 1. Allowed range 0–10.</value>
    public int MaxRetriesPerProvider { get; set; } = 1;

    /// <summary>Gets or sets the base delay before a same-provider retry; it doubles with each retry and is jittered by ±50%.</summary>
    /// <value>Defaults to 200 ms. Allowed range 0–1 minute.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Gets or sets the longest delay between retries.</summary>
    /// <value>Defaults to 5 s. Allowed range 0–5 minutes.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the one deadline for the whole chain, all attempts and delays included.</summary>
    /// <value>Defaults to 120 s. Allowed range 1 ms–1 hour; <see cref="Timeout.InfiniteTimeSpan"/> turns it off.</value>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Gets or sets the total timeout of one attempt (a whole non-streaming call, or a whole stream).</summary>
    /// <value>Defaults to 60 s. Allowed range 1 ms–1 hour; <see cref="Timeout.InfiniteTimeSpan"/> turns it off.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets how long a streaming attempt may take to produce its first content before the chain moves on.</summary>
    /// <value>Defaults to 15 s. Allowed range 1 ms–1 hour; <see cref="Timeout.InfiniteTimeSpan"/> turns it off.</value>
    public TimeSpan FirstTokenTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets how long a provider that answered 429 without a <c>Retry-After</c> is skipped.</summary>
    /// <value>Defaults to 1 s. Allowed range 0–1 hour.</value>
    public TimeSpan DefaultRateLimitCooldown { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the failures that move the call on to the next provider.</summary>
    /// <value>Defaults to <see langword="null"/>, meaning <see cref="DefaultFallbackOn"/>. A failure not listed ends the call with the provider's own error.</value>
    public IList<FailureKind>? FallbackOn { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the provider client's own exception is passed on as it is, even when its
    /// text carries a credential (a provider or a gateway may echo the API key in an error body): as the
    /// <see cref="Exception.InnerException"/> of a <see cref="FallbackExhaustedException"/>, and rethrown for a failure
    /// that does not fall back.
    /// </summary>
    /// <value>
    /// Defaults to <see langword="false"/>: the inner exception is always a <see cref="ProviderException"/> (same type
    /// name, stack trace and status, every configured key and key-shaped token masked); a failure that does not fall
    /// back rethrows the provider's own exception when its text carries no credential, and a
    /// <see cref="ProviderException"/> when it does.
    /// </value>
    public bool ExposeProviderExceptions { get; set; }

    /// <summary>Gets or sets the failures that retry the same provider (with backoff) before moving on.</summary>
    /// <value>Defaults to <see langword="null"/>, meaning <see cref="DefaultRetryOn"/>.</value>
    public IList<FailureKind>? RetryOn { get; set; }

    /// <summary>Gets or sets phrases that mark a successful answer as a refusal when the answer starts with one of them (case-insensitive).</summary>
    /// <value>Defaults to <see langword="null"/>, meaning <see cref="DefaultRefusalPhrases"/>. An empty list turns text detection off.</value>
    public IList<string>? RefusalPhrases { get; set; }

    /// <summary>Gets the circuit breaker every provider of the chain gets (section <c>SkFallback:CircuitBreaker</c>).</summary>
    public CircuitBreaking.CircuitBreakerOptions CircuitBreaker { get; } = new();

    /// <summary>Gets the streaming resilience settings (section <c>SkFallback:Streaming</c>).</summary>
    public Streaming.StreamingOptions Streaming { get; } = new();

    /// <summary>Gets how providers are picked and ordered per request (section <c>SkFallback:Routing</c>).</summary>
    public Routing.RoutingOptions Routing { get; } = new();

    /// <summary>Gets the spending limits (section <c>SkFallback:Budget</c>).</summary>
    public Cost.BudgetOptions Budget { get; } = new();

    /// <summary>Gets the fallback-event log: sampled, redacted request and response pairs (section <c>SkFallback:Events</c>).</summary>
    public Events.FallbackEventOptions Events { get; } = new();

    /// <summary>
    /// Gets or sets the most bytes one attempt's response may send through the HTTP client the chain owns; past it the
    /// attempt fails with <see cref="FailureKind.MalformedResponse"/> (and falls back) and the connection is closed.
    /// </summary>
    /// <value>
    /// Defaults to 64 MiB. Allowed range 64 KiB–4 GiB. A 128k-token answer streamed as OpenAI events is about 30 MB; a
    /// provider given its own <see cref="ProviderOptions.HttpClient"/> is not capped.
    /// </value>
    public long MaxResponseBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Gets or sets the most bytes one server-sent-events line may hold (one event's data); past it the attempt fails as <see cref="MaxResponseBytes"/> does.</summary>
    /// <value>Defaults to 4 MiB. Allowed range 4 KiB–<see cref="MaxResponseBytes"/>. A real event is a few hundred bytes.</value>
    public long MaxResponseLineBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>
    /// Gets or sets a value indicating whether attempt spans carry the messages sent and received
    /// (<c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>, every configured key masked).
    /// </summary>
    /// <value>
    /// Defaults to <see langword="null"/>: on only when the environment variable
    /// <c>OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT</c> is <c>true</c>, as in MEAI's <c>UseOpenTelemetry()</c>.
    /// </value>
    public bool? CaptureMessageContent { get; set; }

    /// <summary>Gets or sets a value indicating whether model aliases such as <c>gpt-4o-latest</c> are accepted (with a warning) instead of rejected.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool AllowModelAliases { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a key under the <c>SkFallback</c> section that names no setting (a typo
    /// such as <c>RetryBudgte</c>) is logged as a warning instead of failing at startup.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>: startup fails, naming the key and the nearest setting.</value>
    public bool WarnOnUnknownKeys { get; set; }

    /// <summary>Gets the failures that fall back when <see cref="FallbackOn"/> is not set: everything but caller errors.</summary>
    public static IReadOnlyList<FailureKind> DefaultFallbackOn { get; } =
    [
        FailureKind.RateLimited, FailureKind.ServerError, FailureKind.Timeout, FailureKind.FirstTokenTimeout,
        FailureKind.ConnectionFailure, FailureKind.MalformedResponse, FailureKind.TruncatedStream, FailureKind.Refusal,
        FailureKind.ContextLengthExceeded, FailureKind.Authentication, FailureKind.NotFound, FailureKind.Unknown,
        FailureKind.Stalled,
    ];

    /// <summary>Gets the failures that retry the same provider when <see cref="RetryOn"/> is not set: transient server and connection failures.</summary>
    public static IReadOnlyList<FailureKind> DefaultRetryOn { get; } =
        [FailureKind.ServerError, FailureKind.ConnectionFailure, FailureKind.MalformedResponse];

    /// <summary>Gets the refusal openings detected when <see cref="RefusalPhrases"/> is not set.</summary>
    public static IReadOnlyList<string> DefaultRefusalPhrases { get; } =
    [
        "I'm sorry, but I can't", "I’m sorry, but I can’t", "I'm sorry, but I cannot", "I cannot help with that",
        "I can't help with that", "I can't assist with that", "I'm unable to help with that", "I am unable to help with that",
    ];

    /// <summary>Adds a provider to the end of the chain.</summary>
    /// <param name="provider">The provider.</param>
    /// <returns>These options, for chaining.</returns>
    public FallbackOptions Add(ProviderOptions provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Providers.Add(provider);
        return this;
    }

    /// <summary>Adds a caller-supplied client to the end of the chain.</summary>
    /// <param name="name">The provider name.</param>
    /// <param name="model">The model id the client serves (for attempts and telemetry).</param>
    /// <param name="client">The client.</param>
    /// <returns>These options, for chaining.</returns>
    public FallbackOptions Add(string name, string model, Microsoft.Extensions.AI.IChatClient client) =>
        Add(new ProviderOptions { Name = name, Kind = ProviderKinds.Custom, Model = model, Client = client });
}
