using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkFallback.CircuitBreaking;
using SkFallback.Cost;
using SkFallback.Diagnostics;
using SkFallback.Health;
using SkFallback.Providers;
using SkFallback.Routing;

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
public sealed partial class FallbackChatClient : IChatClient, IProviderHealth
{
    private static readonly IProviderClientFactory[] BuiltInFactories = [new OpenAIProviderClientFactory()];

    private readonly ChainProvider[] _providers;
    private readonly bool[] _fallbackOn;
    private readonly bool[] _retryOn;
    private readonly int _retryBudget;
    private readonly TimeSpan _deadline;
    private readonly TimeSpan _retryBaseDelay;
    private readonly TimeSpan _retryMaxDelay;
    private readonly TimeSpan _defaultCooldown;
    private readonly FailureClassifier _classifier;
    private readonly SecretRedactor _redactor;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly AttemptTokenSourcePool _tokenSources;
    private readonly ChatClientMetadata _metadata;
    private readonly Cost.TokenEstimator _tokens = new();
    private readonly IProviderStateStore? _stateStore;
    private readonly IDisposable? _subscription;
    private readonly System.Collections.Concurrent.ConcurrentBag<Streaming.StreamStallDetector> _stallDetectors = [];
    private readonly Streaming.StreamingMode _streamingMode;
    private readonly int _commitChunks;
    private readonly TimeSpan _commitDelay;
    private readonly bool _continueAfterCommit;

    /// <summary>Initializes a new instance of the <see cref="FallbackChatClient"/> class.</summary>
    /// <param name="options">The chain; validated here (an invalid chain throws <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming the key at fault).</param>
    /// <param name="providerFactories">Factories for provider kinds beyond the built-in OpenAI family (SkFallback.Anthropic is found automatically when deployed).</param>
    /// <param name="loggerFactory">The logger factory; none by default.</param>
    /// <param name="timeProvider">The clock for timeouts, backoff and cooldowns; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="stateStore">Shares breaker states and cooldowns with other replicas (for example SkFallback.Redis); none by default.</param>
    /// <param name="routingPolicies">Routing policies beyond the built-in ones, chosen by <see cref="IRoutingPolicy.Name"/> in <c>SkFallback:Routing:Policy</c>.</param>
    /// <param name="priceCatalog">The prices, limits and tiers of models; <see cref="PriceCatalog.Default"/> by default.</param>
    /// <param name="ledger">Where spend is recorded and tenant budgets are held; a new <see cref="SpendLedger"/> by default.</param>
    public FallbackChatClient(
        FallbackOptions options,
        IEnumerable<IProviderClientFactory>? providerFactories = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IProviderStateStore? stateStore = null,
        IEnumerable<IRoutingPolicy>? routingPolicies = null,
        PriceCatalog? priceCatalog = null,
        ISpendLedger? ledger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        FallbackOptionsValidator.ThrowIfInvalid(options, routingPolicyNames: routingPolicies?.Select(p => p.Name));

        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FallbackChatClient>();
        _retryBudget = options.RetryBudget;
        _deadline = options.Deadline;
        _retryBaseDelay = options.RetryBaseDelay;
        _retryMaxDelay = options.RetryMaxDelay;
        _defaultCooldown = options.DefaultRateLimitCooldown;
        _fallbackOn = KindTable((IEnumerable<FailureKind>?)options.FallbackOn ?? FallbackOptions.DefaultFallbackOn);
        _retryOn = KindTable((IEnumerable<FailureKind>?)options.RetryOn ?? FallbackOptions.DefaultRetryOn);
        _classifier = new FailureClassifier((IEnumerable<string>?)options.RefusalPhrases ?? FallbackOptions.DefaultRefusalPhrases);
        _redactor = new SecretRedactor(options.Providers.Select(p => p.ApiKey));
        _tokenSources = new AttemptTokenSourcePool(_timeProvider);
        _streamingMode = options.Streaming.Mode;
        _commitChunks = options.Streaming.CommitChunks;
        _commitDelay = options.Streaming.CommitDelay;
        _continueAfterCommit = options.Streaming.ContinueAfterCommit;

        var factories = (providerFactories ?? []).Concat(BuiltInFactories).ToList();
        _providers = new ChainProvider[options.Providers.Count];
        try
        {
            for (var i = 0; i < _providers.Length; i++)
            {
                _providers[i] = Build(options, i, factories);
            }
        }
        catch
        {
            foreach (var built in _providers)
            {
                built?.Dispose();
            }

            throw;
        }

        try
        {
            InitializeCost(options, routingPolicies, priceCatalog, ledger);
        }
        catch
        {
            foreach (var built in _providers)
            {
                built.Dispose();
            }

            throw;
        }

        _metadata = new ChatClientMetadata("skfallback", null, _providers[0].Model);
        _stateStore = stateStore;
        if (stateStore is not null)
        {
            var lease = options.CircuitBreaker.BreakDuration;
            foreach (var provider in _providers)
            {
                if (provider.Breaker is { } breaker)
                {
                    breaker.ProbeGate = key => stateStore.TryAcquireProbe(key, lease);
                }
            }

            _subscription = stateStore.Subscribe(ApplyShared);
        }

        FallbackTelemetry.Register(this);
    }

    /// <summary>Each provider's breaker state, for the breaker-state gauge.</summary>
    internal IEnumerable<(string Key, CircuitState State)> BreakerStates()
    {
        foreach (var provider in _providers)
        {
            if (provider.Breaker is { } breaker)
            {
                yield return (provider.Key, breaker.State);
            }
        }
    }

    /// <summary>Gets the names of the providers, in chain order.</summary>
    public IReadOnlyList<string> ProviderNames => Array.ConvertAll(_providers, p => p.Name);

    /// <inheritdoc />
    /// <remarks>
    /// Up to the first attempt's answer this runs without an async method of its own: when the first provider answers
    /// at once and well, the caller gets the provider's own completed task, annotated. Anything else (a wait, a
    /// failure, a race) goes on in <see cref="ChainAsync"/>; errors surface through the returned task, never thrown.
    /// </remarks>
    public Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        Activity? activity = null;
        try
        {
            ArgumentNullException.ThrowIfNull(messages);
            cancellationToken.ThrowIfCancellationRequested();

            activity = StartActivity(streaming: false);
            var call = FallbackCall.Rent(_timeProvider, _retryBudget, _deadline, cancellationToken);
            var hedging = HedgingOf(options);
            var preferred = PreferredIndex(options);
            Plan(call, messages, ref options);
            var walk = new ChainWalk(this, call, preferred, messages, options);
            if (hedging != HedgingMode.None)
            {
                return Detach(RaceAsync(call, walk, messages, options, hedging, activity), activity);
            }

            if (!walk.TryNext(out var provider, out var probe) || !Reserve(call, provider))
            {
                return Detach(ChainAsync(call, walk, messages, options, activity, null, false, default), activity);
            }

            // The first attempt can never find the deadline passed: it starts with the call.
            var attempt = BeginAttempt(call, provider, probe);
            var pending = Start(provider, messages, OptionsFor(options, provider), attempt);
            if (!pending.IsCompleted)
            {
                EndExchange(attempt.Exchange);
                return Detach(ChainAsync(call, walk, messages, options, activity, provider, probe, FinishAsync(call, attempt, pending)), activity);
            }

            SendOutcome outcome;
            try
            {
                outcome = Finish(call, attempt, pending, armed: false);
            }
            catch (OperationCanceledException ex)
            {
                // The caller's own cancellation: the chain surfaces it as a cancelled task.
                return Detach(ChainAsync(call, walk, messages, options, activity, provider, probe, ValueTask.FromException<SendOutcome>(ex)), activity);
            }

            if (outcome.Response is not { } response)
            {
                return Detach(ChainAsync(call, walk, messages, options, activity, provider, probe, new(outcome)), activity);
            }

            Succeed(call, provider, 0, outcome.Attempt, activity);
            Complete(call, provider, response);
            activity?.Dispose();

            // Nothing refers to the call now (the answer holds its attempts, not the call), so the next call reuses it.
            call.Recycle();

            // The provider's task holds the very response that was annotated.
            return pending;
        }
        catch (Exception ex)
        {
            activity?.Dispose();
            return ThrowAsync(ex);
        }
    }

    /// <summary>
    /// Hands the call to an async method: the activity started here stays current in that method's flow, while the
    /// caller's flow gets its own current activity back, as it would from an async method.
    /// </summary>
    private static Task<ChatResponse> Detach(Task<ChatResponse> chain, Activity? activity)
    {
        if (activity is not null)
        {
            Activity.Current = activity.Parent;
        }

        return chain;
    }

    /// <summary>Surfaces an exception as an async method would: cancellation as a cancelled task, anything else as a faulted one.</summary>
    private static async Task<ChatResponse> ThrowAsync(Exception exception)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
        return null!;
    }

    /// <summary>A hedged or parallel call: a race first; when every racer failed, the chain goes on from the next candidate.</summary>
    private async Task<ChatResponse> RaceAsync(FallbackCall call, ChainWalk walk, IEnumerable<ChatMessage> messages, ChatOptions? options, HedgingMode hedging, Activity? activity)
    {
        ChainWalk rest;
        try
        {
            var race = new ResponseRace(this, call, walk, messages, options, hedging, activity);
            if (await race.AnswerAsync().ConfigureAwait(false) is { } won)
            {
                activity?.Dispose();
                return won;
            }

            rest = race.Walk;
        }
        catch
        {
            activity?.Dispose();
            throw;
        }

        return await ChainAsync(call, rest, messages, options, activity, null, false, default).ConfigureAwait(false);
    }

    /// <summary>
    /// Walks the rest of the chain. When <paramref name="started"/> is set, its attempt is already under way and
    /// <paramref name="first"/> gives its outcome; the call's activity ends here.
    /// </summary>
    private async Task<ChatResponse> ChainAsync(
        FallbackCall call,
        ChainWalk walk,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        Activity? activity,
        ChainProvider? started,
        bool startedProbe,
        ValueTask<SendOutcome> first)
    {
        using var owned = activity;
        var provider = started;
        var probe = startedProbe;
        while (provider is not null || walk.TryNext(out provider, out probe))
        {
            var providerOptions = OptionsFor(options, provider);
            for (var retry = 0; ; retry++)
            {
                SendOutcome outcome;
                if (started is not null)
                {
                    started = null;
                    outcome = await first.ConfigureAwait(false);
                }
                else if (!Reserve(call, provider))
                {
                    break;
                }
                else
                {
                    outcome = await SendAsync(call, provider, probe, messages, providerOptions).ConfigureAwait(false);
                }

                if (outcome.Response is { } response)
                {
                    Succeed(call, provider, retry, outcome.Attempt, activity);
                    Complete(call, provider, response);
                    return response;
                }

                if (outcome.Expired)
                {
                    throw Exhausted(call, activity, deadline: true);
                }

                var decision = await DecideAsync(call, provider, walk.NextName(), retry, outcome.Attempt, outcome.Failure).ConfigureAwait(false);
                if (decision == Decision.Retry)
                {
                    continue;
                }

                if (decision == Decision.Stop)
                {
                    throw StopWith(call, activity, outcome.Failure);
                }

                break;
            }

            provider = null;
        }

        throw Exhausted(call, activity, deadline: false);
    }

    /// <summary>
    /// Sends one attempt and judges its answer: a response when it is good, otherwise the failure. The attempt has
    /// ended (its timer returned, a cancelled one charged) when this completes; the caller's own cancellation, as
    /// <see cref="FallbackCall.CallerToken"/> says, is thrown, never classified. An answer that is already there
    /// is judged without an async method.
    /// </summary>
    private ValueTask<SendOutcome> SendAsync(FallbackCall call, ChainProvider provider, bool probe, IEnumerable<ChatMessage> messages, ChatOptions? providerOptions)
    {
        var attempt = BeginAttempt(call, provider, probe);
        if (attempt.DeadlinePassed)
        {
            EndAttempt(call, attempt, armed: false, abandoned: true, FailureKind.DeadlineExceeded);
            return new(new SendOutcome(null, new(FailureKind.DeadlineExceeded, null, null, "deadline"), attempt, Expired: true));
        }

        var pending = Start(provider, messages, providerOptions, attempt);
        if (!pending.IsCompleted)
        {
            // The provider's flow keeps its exchange; the caller's flow does not.
            EndExchange(attempt.Exchange);
            return FinishAsync(call, attempt, pending);
        }

        try
        {
            return new(Finish(call, attempt, pending, armed: false));
        }
        catch (OperationCanceledException ex)
        {
            return ValueTask.FromException<SendOutcome>(ex);
        }
    }

    /// <summary>Asks the provider; a provider that throws at once gives a faulted task, judged like any other.</summary>
    private static Task<ChatResponse> Start(ChainProvider provider, IEnumerable<ChatMessage> messages, ChatOptions? providerOptions, AttemptScope attempt)
    {
        try
        {
            return provider.Client.GetResponseAsync(messages, providerOptions, attempt.Source.Token);
        }
        catch (Exception ex)
        {
            return Task.FromException<ChatResponse>(ex);
        }
    }

    /// <summary>Waits for an answer that is not there yet, under the attempt's timer (only a call that waits is timed).</summary>
    private async ValueTask<SendOutcome> FinishAsync(FallbackCall call, AttemptScope attempt, Task<ChatResponse> pending)
    {
        Arm(call, attempt.Source, attempt.Provider.AttemptTimeout, attempt.Start);
        await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return Finish(call, attempt, pending, armed: true);
    }

    /// <summary>Judges a finished attempt and ends it; the caller's own cancellation is rethrown, never classified.</summary>
    private SendOutcome Finish(FallbackCall call, AttemptScope attempt, Task<ChatResponse> completed, bool armed)
    {
        FailureClassification failure;
        var provider = attempt.Provider;
        var callerToken = call.CallerToken;
        try
        {
            var response = completed.GetAwaiter().GetResult();
            var verdict = _fallbackOn[(int)FailureKind.Refusal] || provider.RequireFinishReason
                ? _classifier.Inspect(response, provider.RequireFinishReason)
                : FailureKind.None;
            if (verdict == FailureKind.Refusal && !_fallbackOn[(int)FailureKind.Refusal])
            {
                verdict = FailureKind.None;
            }

            call.Usage = response.Usage;
            if (verdict == FailureKind.None)
            {
                return new(response, default, attempt, Expired: false);
            }

            failure = new(verdict, 200, null, verdict == FailureKind.Refusal ? "the answer is a refusal" : "the response has no finish reason");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !callerToken.IsCancellationRequested)
        {
            failure = ClassifyException(ex, call, attempt.Source, attempt.Exchange, contentSeen: true);
            call.LastException = ex;
        }
        finally
        {
            EndAttempt(call, attempt, armed, abandoned: callerToken.IsCancellationRequested);
        }

        return new(null, failure, attempt, Expired: false);
    }

    /// <summary>Charges a good answer and annotates it with its provider, the attempts and, when priced, its cost.</summary>
    private void Complete(FallbackCall call, ChainProvider provider, ChatResponse response)
    {
        Charge(call, provider, FailureKind.None, 200, call.Routing is not null && response.Usage is null ? TokenEstimator.CountText(provider.Candidate.Family, response.Text) : 0);
        Annotate(response, provider, call);
        if (call.Routing is not null || call.LastCost is not null)
        {
            AnnotateCost(response.AdditionalProperties!, call, provider);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<ProviderHealthSnapshot> GetSnapshot()
    {
        var now = _timeProvider.GetUtcNow();
        var snapshots = new ProviderHealthSnapshot[_providers.Length];
        for (var i = 0; i < _providers.Length; i++)
        {
            var provider = _providers[i];
            var window = provider.Health.Read();
            var breaker = provider.Breaker;
            var state = breaker?.State ?? CircuitState.Closed;
            snapshots[i] = new ProviderHealthSnapshot(
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

        return snapshots;
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
            return _metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        FallbackTelemetry.Unregister(this);
        _subscription?.Dispose();
        while (_stallDetectors.TryTake(out var detector))
        {
            detector.Dispose();
        }

        foreach (var provider in _providers)
        {
            provider.Dispose();
        }
    }

    private static bool[] KindTable(IEnumerable<FailureKind> kinds)
    {
        var table = new bool[Enum.GetValues<FailureKind>().Length];
        foreach (var kind in kinds)
        {
            if ((int)kind >= 0 && (int)kind < table.Length)
            {
                table[(int)kind] = true;
            }
        }

        // Never fall back on the caller's own cancellation or on a missed deadline.
        table[(int)FailureKind.Cancelled] = false;
        table[(int)FailureKind.DeadlineExceeded] = false;
        return table;
    }

    private static void Annotate(AdditionalPropertiesDictionary properties, ChainProvider provider, FallbackCall call)
    {
        properties[FallbackMetadataKeys.Provider] = provider.Name;
        properties[FallbackMetadataKeys.Model] = provider.Model;
        properties[FallbackMetadataKeys.Attempts] = call.Attempts;
    }

    private static void Annotate(ChatResponse response, ChainProvider provider, FallbackCall call)
    {
        if (response.AdditionalProperties is { } existing)
        {
            Annotate(existing, provider, call);
            return;
        }

        // Copying the provider's prepared entries skips hashing two of the three keys.
        var properties = new AdditionalPropertiesDictionary(provider.MetadataTemplate);
        properties[FallbackMetadataKeys.Attempts] = call.Attempts;
        response.AdditionalProperties = properties;
    }

    private static Activity? StartActivity(bool streaming)
    {
        var activity = FallbackTelemetry.ActivitySource.StartActivity(streaming ? "skfallback.chat.stream" : "skfallback.chat");
        activity?.SetTag(FallbackTelemetry.OperationNameTag, "chat");
        return activity;
    }
}
