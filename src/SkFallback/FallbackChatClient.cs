using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkFallback.CircuitBreaking;
using SkFallback.Cost;
using SkFallback.Engine;
using SkFallback.Health;
using SkFallback.Providers;
using SkFallback.Routing;
using SkFallback.Streaming;

namespace SkFallback;

/// <summary>
/// An <see cref="IChatClient"/> that sends each request down an ordered chain of providers: it classifies every
/// failure, retries transient ones within a budget, skips providers that are cooling down after a rate limit,
/// times attempts out, and moves on until one provider answers or the chain's deadline passes.
/// </summary>
/// <remarks>
/// Streaming requests switch providers transparently until the first content is delivered. A stream that ends
/// without a finish reason is a failure, never a success. Every answer carries, in <c>AdditionalProperties</c>,
/// the provider and model that produced it and the attempts made (<see cref="FallbackMetadataKeys"/>).
/// </remarks>
public sealed class FallbackChatClient : IChatClient, IProviderHealth
{
    private readonly Chain _chain;
    private readonly ResponseRunner _responses;
    private readonly StreamRunner _streams;
    private readonly Events.FallbackEventLog? _ownedEvents;

    /// <summary>Initializes a new instance of the <see cref="FallbackChatClient"/> class.</summary>
    /// <param name="options">The chain; validated here (an invalid chain throws <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming the key at fault).</param>
    /// <param name="providerFactories">Factories for provider kinds beyond the built-in OpenAI family (SkFallback.Anthropic is found automatically when deployed).</param>
    /// <param name="loggerFactory">The logger factory; none by default.</param>
    /// <param name="timeProvider">The clock for timeouts, backoff and cooldowns; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="stateStore">Shares breaker states and cooldowns with other replicas (for example SkFallback.Redis); none by default.</param>
    /// <param name="routingPolicies">Routing policies beyond the built-in ones, chosen by <see cref="IRoutingPolicy.Name"/> in <c>SkFallback:Routing:Policy</c>.</param>
    /// <param name="priceCatalog">The prices, limits and tiers of models; <see cref="PriceCatalog.Default"/> by default.</param>
    /// <param name="ledger">Where spend is recorded and tenant budgets are held; a new <see cref="SpendLedger"/> by default.</param>
    /// <param name="eventLog">
    /// The fallback-event log the chain's calls go to (one log may serve many chains). By default the chain makes its own
    /// from <see cref="FallbackOptions.Events"/> when it is enabled, and disposes it with the client.
    /// </param>
    public FallbackChatClient(
        FallbackOptions options,
        IEnumerable<IProviderClientFactory>? providerFactories = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IProviderStateStore? stateStore = null,
        IEnumerable<IRoutingPolicy>? routingPolicies = null,
        PriceCatalog? priceCatalog = null,
        ISpendLedger? ledger = null,
        Events.FallbackEventLog? eventLog = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        FallbackOptionsValidator.ThrowIfInvalid(options, routingPolicyNames: routingPolicies?.Select(p => p.Name));
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FallbackChatClient>();
        if (eventLog is null && options.Events.Enabled)
        {
            eventLog = _ownedEvents = new Events.FallbackEventLog(options.Events, null, loggerFactory, timeProvider, secrets: null);
        }

        _chain = ChainBuilder.Build(options, providerFactories, logger, timeProvider ?? TimeProvider.System, stateStore, routingPolicies, priceCatalog, ledger, eventLog);
        _responses = new ResponseRunner(_chain);
        _streams = new StreamRunner(_chain);
    }

    /// <summary>Gets the names of the providers, in chain order.</summary>
    public IReadOnlyList<string> ProviderNames => Array.ConvertAll(_chain.Providers, p => p.Name);

    /// <summary>Gets the ledger every attempt's cost is recorded in.</summary>
    public ISpendLedger Ledger => _chain.Cost.Ledger;

    /// <summary>Gets the price catalog the chain estimates and charges with.</summary>
    public PriceCatalog Catalog => _chain.Catalog;

    /// <summary>Gets the chain's providers as routing policies see them, in chain order.</summary>
    public IReadOnlyList<RoutingCandidate> Candidates => _chain.Planner.Candidates;

    /// <summary>Gets the chain's per-turn limit (<see cref="BudgetOptions.MaxCostPerTurn"/>), if set.</summary>
    public decimal? MaxCostPerTurn => _chain.Planner.Budget.MaxCostPerTurn;

    /// <summary>Gets the routing policy the chain uses when a request does not name one.</summary>
    public IRoutingPolicy RoutingPolicy => _chain.Planner.Policy;

    /// <summary>Gets what hedging has done so far: races, hedges started, and what primaries and hedges cost.</summary>
    public HedgingSnapshot Hedging
    {
        get
        {
            var budget = _chain.HedgeBudget;
            return new(budget.Calls, budget.Hedges, budget.PrimaryCost, budget.HedgeCost);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Up to the first attempt's answer this runs without an async method of its own: when the first provider answers
    /// at once and well, the caller gets the provider's own completed task, annotated. Anything else (a wait, a
    /// failure, a race) goes on in the response runner; errors surface through the returned task, never thrown.
    /// </remarks>
    public Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        Activity? activity = null;
        CallState? call = null;
        try
        {
            ArgumentNullException.ThrowIfNull(messages);
            cancellationToken.ThrowIfCancellationRequested();

            activity = _chain.Telemetry.StartActivity(streaming: false);
            call = _chain.NewCall(messages, cancellationToken);
            call.Activity = activity;
            var settings = CallSettings.Read(options, _chain, streaming: false);
            _chain.Planner.Plan(call, settings, options);
            var walk = _chain.Walk(call, settings.Preferred);
            if (settings.Hedging != HedgingMode.None)
            {
                return Detach(_responses.RaceAsync(call, walk, settings.Hedging, activity), activity, call);
            }

            if (!walk.TryNext(out var provider, out var probe) || !_chain.Reserve(call, provider, out var reservation))
            {
                return Detach(_responses.ChainAsync(call, walk, activity, null, false, default), activity, call);
            }

            return FirstAttempt(call, walk, provider, probe, reservation, activity);
        }
        catch (Exception ex)
        {
            activity?.Dispose();
            if (call is not null)
            {
                // Refused before dispatch (no candidate within budget), or a request key with a bad value.
                _chain.Events?.Ended(call, ex, streaming: false);
            }

            return ThrowAsync(ex);
        }
    }

    /// <summary>The first attempt, without an async method: a good answer at once returns the provider's own task; anything else goes on in the runner.</summary>
    private Task<ChatResponse> FirstAttempt(CallState call, CandidateWalk walk, ChainProvider provider, bool probe, SpendReservation? reservation, Activity? activity)
    {
        // The first attempt can never find the deadline passed: it starts with the call.
        var attempt = _chain.Begin(call, provider, probe, retry: 0);
        attempt.Reservation = reservation;
        var pending = ResponseRunner.Start(_chain.Telemetry.Attempts, provider, call.Messages, provider.OptionsFor(call.Options), attempt);
        if (!pending.IsCompleted)
        {
            attempt.LeaveExchange();
            return Detach(_responses.ChainAsync(call, walk, activity, provider, probe, _responses.FinishAsync(call, attempt, pending)), activity, call);
        }

        SendOutcome outcome;
        try
        {
            outcome = _responses.Finish(call, attempt, pending);
        }
        catch (OperationCanceledException ex)
        {
            // The caller's own cancellation: the chain surfaces it as a cancelled task.
            return Detach(_responses.ChainAsync(call, walk, activity, provider, probe, ValueTask.FromException<SendOutcome>(ex)), activity, call);
        }

        if (outcome.Response is not { } response)
        {
            return Detach(_responses.ChainAsync(call, walk, activity, provider, probe, new(outcome)), activity, call);
        }

        _responses.Complete(call, attempt, response, activity);
        activity?.Dispose();
        _chain.Events?.Answered(call, response);

        // Nothing refers to the call or the attempt now (the answer holds its attempts, not the call), so the next call reuses them.
        attempt.Release();
        call.Recycle();

        // The provider's task holds the very response that was annotated.
        return pending;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        _streams.RunAsync(messages, options, cancellationToken);

    /// <inheritdoc />
    public IReadOnlyList<ProviderHealthSnapshot> GetSnapshot()
    {
        var now = _chain.Time.GetUtcNow();
        return Array.ConvertAll(_chain.Providers, provider => Snapshot(provider, now));
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return _chain.Metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _chain.Dispose();
        _ownedEvents?.Dispose();
    }

    private static ProviderHealthSnapshot Snapshot(ChainProvider provider, DateTimeOffset now)
    {
        var window = provider.Health.Read();
        var breaker = provider.Breaker;
        var state = breaker?.State ?? CircuitState.Closed;
        return new ProviderHealthSnapshot(
            provider.Name,
            provider.Model,
            state,
            breaker?.ConsecutiveFailures ?? 0,
            state == CircuitState.Closed ? null : breaker!.OpenUntil,
            provider.IsCoolingDown(now, out var until) ? until : null,
            window.Count,
            window.ErrorRate,
            window.P50,
            window.P95,
            window.FirstTokenP50,
            window.Last,
            window.LastAt,
            provider.RateLimit.RemainingTokens,
            provider.RateLimit.ResetAt);
    }

    /// <summary>
    /// Hands the call to an async method: the activity started here stays current in that method's flow, while the
    /// caller's flow gets its own current activity back, as it would from an async method.
    /// </summary>
    private Task<ChatResponse> Detach(Task<ChatResponse> chain, Activity? activity, CallState call)
    {
        if (activity is not null)
        {
            Activity.Current = activity.Parent;
        }

        return _chain.Events is { } events ? LoggedAsync(chain, events, call) : chain;
    }

    /// <summary>With the event log on, a call that went on in the runner is logged when it ends (the runner never recycles its call).</summary>
    private static async Task<ChatResponse> LoggedAsync(Task<ChatResponse> chain, Events.EventCapture events, CallState call)
    {
        ChatResponse response;
        try
        {
            response = await chain.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            events.Ended(call, ex, streaming: false);
            throw;
        }

        events.Answered(call, response);
        return response;
    }

    /// <summary>Surfaces an exception as an async method would: cancellation as a cancelled task, anything else as a faulted one.</summary>
    private static async Task<ChatResponse> ThrowAsync(Exception exception)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        ExceptionDispatchInfo.Throw(exception);
        return null!;
    }
}
