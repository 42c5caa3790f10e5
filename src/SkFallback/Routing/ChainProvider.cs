using Microsoft.Extensions.AI;

namespace SkFallback.Routing;

/// <summary>One provider of a running chain: its client, its effective limits and its cooldown.</summary>
internal sealed class ChainProvider : IDisposable
{
    private long _coolingUntilUtcTicks;

    public ChainProvider(
        string name,
        string model,
        IChatClient client,
        bool ownsClient,
        HttpClient? ownedHttpClient,
        bool observesHttp,
        bool requireFinishReason,
        TimeSpan attemptTimeout,
        TimeSpan firstTokenTimeout,
        int maxRetries,
        int? contextWindow)
    {
        Name = name;
        Model = model;
        Client = client;
        OwnsClient = ownsClient;
        OwnedHttpClient = ownedHttpClient;
        ObservesHttp = observesHttp;
        RequireFinishReason = requireFinishReason;
        AttemptTimeout = attemptTimeout;
        FirstTokenTimeout = firstTokenTimeout;
        MaxRetries = maxRetries;
        ContextWindow = contextWindow;
        MetadataTemplate = new(3, StringComparer.OrdinalIgnoreCase)
        {
            [FallbackMetadataKeys.Provider] = name,
            [FallbackMetadataKeys.Model] = model,
            [FallbackMetadataKeys.Attempts] = null,
        };
    }

    /// <summary>Gets the response metadata this provider's answers start from (the attempts are filled in per call).</summary>
    public Dictionary<string, object?> MetadataTemplate { get; }

    public string Name { get; }

    /// <summary>Gets the provider's key in shared state and telemetry, <c>{provider}/{model}</c>.</summary>
    public string Key => $"{Name}/{Model}";

    /// <summary>Gets what the provider last said about its rate-limit window.</summary>
    public ProviderRateLimit RateLimit { get; } = new();

    /// <summary>Gets the output-token cap configured for the provider, used in rate-limit estimates.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Gets the provider's recent attempts.</summary>
    public Health.ProviderHealthWindow Health { get; } = new();

    /// <summary>Gets how the provider appears in GenAI telemetry (span name, <c>gen_ai.provider.name</c>, server).</summary>
    public required Diagnostics.ProviderIdentity Identity { get; init; }

    /// <summary>Gets or sets the provider's circuit breaker (none when breakers are off).</summary>
    public CircuitBreaking.CircuitBreaker? Breaker { get; set; }

    public string Model { get; }

    public IChatClient Client { get; }

    public bool OwnsClient { get; }

    public HttpClient? OwnedHttpClient { get; }

    /// <summary>Gets a value indicating whether the client sends through a <see cref="Providers.ProviderHttpHandler"/>.</summary>
    public bool ObservesHttp { get; }

    public bool RequireFinishReason { get; }

    public TimeSpan AttemptTimeout { get; }

    public TimeSpan FirstTokenTimeout { get; }

    public int MaxRetries { get; }

    /// <summary>Gets how the provider is configured to continue another provider's unfinished answer.</summary>
    public Streaming.ContinuationMode Continuation { get; init; }

    private int _continuationRejected;

    /// <summary>
    /// Gets how the provider is asked to continue now: as configured, or instructed once it rejected a prefill or
    /// prefix continuation (newer Claude models answer prefill with a 400).
    /// </summary>
    public Streaming.ContinuationMode EffectiveContinuation =>
        Volatile.Read(ref _continuationRejected) != 0 ? Streaming.ContinuationMode.Instructed : Continuation;

    /// <summary>Records that the provider rejected its configured continuation mode; its later continuations are instructed.</summary>
    public void RejectContinuationMode() => Volatile.Write(ref _continuationRejected, 1);

    /// <summary>Gets the longest quiet time allowed between stream updates after content started.</summary>
    public TimeSpan StallTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Gets the shortest stall limit adaptation may set.</summary>
    public TimeSpan StallFloor { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets the multiple of the observed p99 gap that is a stall (0: no adaptation).</summary>
    public double StallFactor { get; init; }

    /// <summary>Gets the gaps between this provider's stream updates, as the stall detector measured them.</summary>
    public Streaming.StallGaps Gaps { get; } = new();

    /// <summary>The stall limit of the next stream: adaptive once enough gaps are known, capped by <see cref="StallTimeout"/>. Once per stream, and once per stall check (see <see cref="AdaptiveStallLimit"/>).</summary>
    public TimeSpan StallLimit() => Streaming.StallGaps.Limit(StallTimeout, StallFloor, StallFactor, StallFactor > 0 ? Gaps.P99() : null);

    private Func<TimeSpan>? _stallLimit;

    /// <summary>
    /// Gets <see cref="StallLimit"/> as a delegate the stall detector reads at its checks, or null when the limit does not
    /// adapt: streams started before the provider had enough gaps (many at once) take the learned limit once it exists.
    /// Made once per provider.
    /// </summary>
    public Func<TimeSpan>? AdaptiveStallLimit => StallFactor > 0 && StallTimeout != Timeout.InfiniteTimeSpan ? _stallLimit ??= StallLimit : null;

    /// <summary>Gets the model's context window: the configured one, else the price catalog's.</summary>
    public int? ContextWindow { get; private set; }

    /// <summary>Gets the model's catalog entry, when the catalog lists it.</summary>
    public Cost.ModelPrice? Price { get; private set; }

    /// <summary>Gets the provider as routing policies see it.</summary>
    public RoutingCandidate Candidate { get; private set; } = null!;

    /// <summary>Gets how far past its output allowance the provider has been seen to bill (set when the chain is built).</summary>
    public Cost.OutputBilling? OutputBilling { get; private set; }

    /// <summary>Attaches the provider's chain position, catalog entry and over-billing memory (done once, when the chain is built).</summary>
    public void Attach(int index, Cost.ModelPrice? price, Cost.OutputBilling? outputBilling = null)
    {
        Price = price;
        OutputBilling = outputBilling;
        ContextWindow ??= price?.ContextWindow;
        Candidate = new RoutingCandidate(index, this, price);
    }

    /// <summary>Gets a value indicating whether the provider was ever cooled down (so a healthy call need not read the clock).</summary>
    public bool EverCooledDown => Volatile.Read(ref _coolingUntilUtcTicks) != 0;

    /// <summary>Whether the provider is cooling down at <paramref name="now"/>; if so, until when.</summary>
    public bool IsCoolingDown(DateTimeOffset now, out DateTimeOffset until)
    {
        var ticks = Volatile.Read(ref _coolingUntilUtcTicks);
        until = ticks == 0 ? default : new DateTimeOffset(ticks, TimeSpan.Zero);
        return ticks > now.UtcTicks;
    }

    /// <summary>Keeps the provider out of rotation until <paramref name="until"/> (never shortens an existing cooldown).</summary>
    public void CoolDownUntil(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long current;
        do
        {
            current = Volatile.Read(ref _coolingUntilUtcTicks);
            if (current >= ticks)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _coolingUntilUtcTicks, ticks, current) != current);
    }

    /// <summary>The options as this provider is sent them: a model id from the caller names one provider's model; every provider is pinned to its own.</summary>
    public ChatOptions? OptionsFor(ChatOptions? options)
    {
        if (options?.ModelId is null || string.Equals(options.ModelId, Model, StringComparison.Ordinal))
        {
            return options;
        }

        var copy = options.Clone();
        copy.ModelId = Model;
        return copy;
    }

    public void Dispose()
    {
        if (OwnsClient)
        {
            Client.Dispose();
        }

        OwnedHttpClient?.Dispose();
    }
}
