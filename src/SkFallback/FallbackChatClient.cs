using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkFallback.CircuitBreaking;
using SkFallback.Diagnostics;
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
    private readonly IProviderStateStore? _stateStore;
    private readonly IDisposable? _subscription;

    /// <summary>Initializes a new instance of the <see cref="FallbackChatClient"/> class.</summary>
    /// <param name="options">The chain; validated here (an invalid chain throws <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming the key at fault).</param>
    /// <param name="providerFactories">Factories for provider kinds beyond the built-in OpenAI family (SkFallback.Anthropic is found automatically when deployed).</param>
    /// <param name="loggerFactory">The logger factory; none by default.</param>
    /// <param name="timeProvider">The clock for timeouts, backoff and cooldowns; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="stateStore">Shares breaker states and cooldowns with other replicas (for example SkFallback.Redis); none by default.</param>
    public FallbackChatClient(
        FallbackOptions options,
        IEnumerable<IProviderClientFactory>? providerFactories = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IProviderStateStore? stateStore = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        FallbackOptionsValidator.ThrowIfInvalid(options);

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

    /// <summary>Applies another replica's change to the local state of the provider it names.</summary>
    private void ApplyShared(ProviderStateChange change)
    {
        if (_stateStore is null || string.Equals(change.Origin, _stateStore.ReplicaId, StringComparison.Ordinal))
        {
            return;
        }

        foreach (var provider in _providers)
        {
            if (string.Equals(provider.Key, change.ProviderKey, StringComparison.Ordinal))
            {
                if (change.CooldownUntil is { } cooldown)
                {
                    provider.CoolDownUntil(cooldown);
                }

                provider.Breaker?.Apply(change.State, change.OpenUntil);
            }
        }
    }

    /// <summary>Gets the names of the providers, in chain order.</summary>
    public IReadOnlyList<string> ProviderNames => Array.ConvertAll(_providers, p => p.Name);

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();

        using var activity = StartActivity(streaming: false);
        var call = new FallbackCall(_timeProvider, _retryBudget, _deadline, cancellationToken);

        var preferred = PreferredIndex(ref options);
        var walk = new ChainWalk(this, call, preferred, messages, options);
        while (walk.TryNext(out var provider, out var probe))
        {
            var providerOptions = OptionsFor(options, provider);
            for (var retry = 0; ; retry++)
            {
                var attempt = BeginAttempt(call, provider, probe);
                if (attempt.DeadlinePassed)
                {
                    EndAttempt(attempt, armed: false, abandoned: true);
                    throw Exhausted(call, activity, deadline: true);
                }

                FailureClassification failure;
                var armed = false;
                try
                {
                    var pending = provider.Client.GetResponseAsync(messages, providerOptions, attempt.Source.Token);

                    // A response that is already there needs no timer; only a call that will wait is timed.
                    if (!pending.IsCompleted)
                    {
                        Arm(call, attempt.Source, provider.AttemptTimeout, attempt.Start);
                        armed = true;
                    }

                    var response = await pending.ConfigureAwait(false);
                    var verdict = _fallbackOn[(int)FailureKind.Refusal] || provider.RequireFinishReason
                        ? _classifier.Inspect(response, provider.RequireFinishReason)
                        : FailureKind.None;
                    if (verdict == FailureKind.Refusal && !_fallbackOn[(int)FailureKind.Refusal])
                    {
                        verdict = FailureKind.None;
                    }

                    if (verdict == FailureKind.None)
                    {
                        Succeed(call, provider, retry, attempt, activity);
                        Annotate(response, provider, call);
                        return response;
                    }

                    failure = new(verdict, 200, null, verdict == FailureKind.Refusal ? "the answer is a refusal" : "the response has no finish reason");
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failure = ClassifyException(ex, call, attempt.Source, attempt.Exchange, contentSeen: true);
                    call.LastException = ex;
                }
                finally
                {
                    EndAttempt(attempt, armed, abandoned: cancellationToken.IsCancellationRequested);
                }

                var decision = await DecideAsync(call, provider, walk.NextName(), retry, attempt, failure).ConfigureAwait(false);
                if (decision == Decision.Retry)
                {
                    continue;
                }

                if (decision == Decision.Stop)
                {
                    throw StopWith(call, activity, failure);
                }

                break;
            }
        }

        throw Exhausted(call, activity, deadline: false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();

        using var activity = StartActivity(streaming: true);
        var call = new FallbackCall(_timeProvider, _retryBudget, _deadline, cancellationToken);
        var detectRefusal = _fallbackOn[(int)FailureKind.Refusal];
        var probeLength = detectRefusal ? _classifier.RefusalProbeLength : 0;

        var preferred = PreferredIndex(ref options);
        var walk = new ChainWalk(this, call, preferred, messages, options);
        while (walk.TryNext(out var provider, out var probe))
        {
            var providerOptions = OptionsFor(options, provider);
            for (var retry = 0; ; retry++)
            {
                var attempt = BeginAttempt(call, provider, probe);
                if (attempt.DeadlinePassed)
                {
                    EndAttempt(attempt, armed: false, abandoned: true);
                    throw Exhausted(call, activity, deadline: true);
                }

                var armed = false;
                var succeeded = false;
                IAsyncEnumerator<ChatResponseUpdate>? stream = null;
                var committed = false;
                var contentSeen = false;
                var finished = false;
                StreamCommitBuffer pending = default;
                FailureClassification? failure = null;
                try
                {
                    stream = provider.Client.GetStreamingResponseAsync(messages, providerOptions, attempt.Source.Token).GetAsyncEnumerator(attempt.Source.Token);
                    while (true)
                    {
                        bool more;
                        try
                        {
                            var next = stream.MoveNextAsync();

                            // Updates that are already there need no timer; the first wait arms it.
                            if (!armed && !next.IsCompleted)
                            {
                                Arm(call, attempt.Source, contentSeen ? provider.AttemptTimeout : Min(provider.FirstTokenTimeout, provider.AttemptTimeout), attempt.Start);
                                armed = true;
                            }

                            more = await next.ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                        {
                            failure = ClassifyException(ex, call, attempt.Source, attempt.Exchange, contentSeen);
                            call.LastException = ex;
                            break;
                        }

                        if (!more)
                        {
                            break;
                        }

                        var update = stream.Current;
                        if (committed)
                        {
                            // The hot path: one field read per chunk, then straight through.
                            finished |= update.FinishReason is not null;
                            yield return update;
                            continue;
                        }

                        var verdict = pending.Add(update, _classifier, detectRefusal, probeLength, out var hasContent);
                        finished |= update.FinishReason is not null;
                        if (hasContent && !contentSeen)
                        {
                            contentSeen = true;
                            provider.Health.RecordFirstToken(_timeProvider.GetElapsedTime(attempt.Start));

                            // First content arrived: from here the attempt's total timeout applies.
                            if (armed)
                            {
                                Arm(call, attempt.Source, provider.AttemptTimeout, attempt.Start);
                            }
                        }

                        if (verdict != FailureKind.None)
                        {
                            failure = new(verdict, 200, null, "the stream is a refusal");
                            break;
                        }

                        if (pending.ReadyToCommit(probeLength))
                        {
                            committed = true;
                            AnnotateFirst(pending.First, provider);
                            for (var i = 0; i < pending.Count; i++)
                            {
                                yield return pending[i];
                            }

                            pending.Clear();
                        }
                    }

                    if (failure is null && !finished && provider.RequireFinishReason)
                    {
                        failure = new(FailureKind.TruncatedStream, 200, null, "the stream ended without a finish reason");
                    }

                    if (failure is null && !committed)
                    {
                        // A short answer that ended before the probe filled: judge it whole, then deliver it.
                        var verdict = pending.Judge(_classifier, detectRefusal);
                        if (verdict != FailureKind.None)
                        {
                            failure = new(verdict, 200, null, "the stream is a refusal");
                        }
                        else
                        {
                            committed = true;
                            if (pending.Count > 0)
                            {
                                AnnotateFirst(pending.First, provider);
                            }

                            for (var i = 0; i < pending.Count; i++)
                            {
                                yield return pending[i];
                            }

                            pending.Clear();
                        }
                    }

                    if (failure is null)
                    {
                        succeeded = true;
                        Succeed(call, provider, retry, attempt, activity);
                        var trailer = new ChatResponseUpdate { AdditionalProperties = new(provider.MetadataTemplate) };
                        trailer.AdditionalProperties[FallbackMetadataKeys.Attempts] = call.Attempts;
                        yield return trailer;
                        yield break;
                    }
                }
                finally
                {
                    if (stream is not null)
                    {
                        // Tear the provider's stream down before its timeout source is reused.
                        if (failure is not null && !attempt.Source.IsCancellationRequested)
                        {
                            await attempt.Source.CancelAsync().ConfigureAwait(false);
                        }

                        try
                        {
                            await stream.DisposeAsync().ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
                        {
                            // Disposing a broken stream may throw; the failure is already recorded.
                        }
                    }

                    EndAttempt(attempt, armed, abandoned: failure is null && !succeeded);
                }

                if (committed)
                {
                    // Output already reached the caller: switching would duplicate it. Continuation is the streaming layer's job.
                    RecordFailure(call, provider, retry, attempt, failure.Value);
                    throw StopWith(call, activity, failure.Value, outputCommitted: true);
                }

                var decision = await DecideAsync(call, provider, walk.NextName(), retry, attempt, failure.Value).ConfigureAwait(false);
                if (decision == Decision.Retry)
                {
                    continue;
                }

                if (decision == Decision.Stop)
                {
                    throw StopWith(call, activity, failure.Value);
                }

                break;
            }
        }

        throw Exhausted(call, activity, deadline: false);
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
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }
    }

    private enum Decision
    {
        Retry,
        Next,
        Stop,
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

    private static TimeSpan Min(TimeSpan a, TimeSpan b)
    {
        if (a == Timeout.InfiniteTimeSpan)
        {
            return b;
        }

        return b == Timeout.InfiniteTimeSpan || a < b ? a : b;
    }

    /// <summary>
    /// Starts one attempt: a pooled timeout source linked to the caller's token, and the HTTP observation. The
    /// timer is armed only when the provider makes the call wait (<see cref="Arm"/>).
    /// </summary>
    private AttemptScope BeginAttempt(FallbackCall call, ChainProvider provider, bool probe)
    {
        var start = call.NextAttemptStart(out var first);
        var source = _tokenSources.Rent();
        var registration = call.CallerToken.CanBeCanceled
            ? call.CallerToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), source)
            : default;
        return new AttemptScope(start, source, registration, BeginExchange(provider), DeadlinePassed: !first && call.DeadlinePassedAt(start), provider, probe);
    }

    /// <summary>Sets the attempt's timer to <paramref name="timeout"/> from the attempt's start, bounded by the chain's deadline.</summary>
    private void Arm(FallbackCall call, CancellationTokenSource source, TimeSpan timeout, long attemptStart)
    {
        var now = _timeProvider.GetTimestamp();
        var left = timeout;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            left = timeout - _timeProvider.GetElapsedTime(attemptStart, now);
            if (left <= TimeSpan.Zero)
            {
                left = TimeSpan.FromTicks(1);
            }
        }

        var remaining = Timeout.InfiniteTimeSpan;
        if (call.HasDeadline)
        {
            remaining = call.Deadline - call.ElapsedAt(now);
            if (remaining <= TimeSpan.Zero)
            {
                remaining = TimeSpan.FromTicks(1);
            }
        }

        source.CancelAfter(call.Bound(left, remaining));
    }

    /// <summary>Ends an attempt; a probe that ended without an outcome (the caller left) hands the probe to the next caller.</summary>
    private void EndAttempt(AttemptScope attempt, bool armed, bool abandoned)
    {
        if (attempt.Exchange is { } exchange)
        {
            attempt.Provider.RateLimit.Update(exchange.RemainingTokens, exchange.TokensResetAt, exchange.RemainingRequests, exchange.RequestsResetAt);
        }

        if (abandoned && attempt.Probe)
        {
            attempt.Provider.Breaker?.OnAbandoned(probe: true);
        }

        EndExchange(attempt.Exchange);
        attempt.Registration.Dispose();
        _tokenSources.Return(attempt.Source, armed);
    }

    /// <summary>The chain position of the provider tried at <paramref name="step"/>: the preferred one first, then the rest in order.</summary>
    private static int Order(int step, int preferred) =>
        preferred <= 0 ? step : step == 0 ? preferred : step <= preferred ? step - 1 : step;

    /// <summary>
    /// Walks the chain for one call: the preferred provider first, then the rest in order, passing over providers
    /// that are cooling down. Providers whose breaker is open, or whose rate-limit window cannot take the request,
    /// are not lost: they come last, when nothing else is left.
    /// </summary>
    private struct ChainWalk
    {
        private readonly FallbackChatClient _owner;
        private readonly FallbackCall _call;
        private readonly int _preferred;
        private readonly IEnumerable<ChatMessage> _messages;
        private readonly ChatOptions? _options;
        private ChainProvider[]? _deferred;
        private int _deferredCount;
        private int _step;

        public ChainWalk(FallbackChatClient owner, FallbackCall call, int preferred, IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            _owner = owner;
            _call = call;
            _preferred = preferred;
            _messages = messages;
            _options = options;
        }

        public bool TryNext(out ChainProvider provider, out bool probe)
        {
            var providers = _owner._providers;
            while (_step < providers.Length + _deferredCount)
            {
                var step = _step++;
                var lastResort = step >= providers.Length;
                provider = lastResort ? _deferred![step - providers.Length] : providers[Order(step, _preferred)];
                if (_owner.ShouldSkip(_call, provider))
                {
                    continue;
                }

                probe = false;
                if (!lastResort && (_owner.WouldExceedRateLimit(_call, provider, _messages, _options) || !Admit(_call, provider, out probe)))
                {
                    (_deferred ??= new ChainProvider[providers.Length])[_deferredCount++] = provider;
                    continue;
                }

                return true;
            }

            provider = null!;
            probe = false;
            return false;
        }

        /// <summary>The provider the walk would try next in chain order (for the log line of a fallback).</summary>
        public readonly string? NextName() =>
            _step < _owner._providers.Length ? _owner._providers[Order(_step, _preferred)].Name : null;
    }

    /// <summary>
    /// Finds the provider a caller asked to start with (<see cref="FallbackMetadataKeys.PreferProvider"/>), and removes
    /// the hint from the options so it never reaches a provider.
    /// </summary>
    private int PreferredIndex(ref ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } properties
            || !properties.TryGetValue(FallbackMetadataKeys.PreferProvider, out var value))
        {
            return -1;
        }

        options = options.Clone();
        options.AdditionalProperties!.Remove(FallbackMetadataKeys.PreferProvider);
        if (value is string name)
        {
            for (var i = 0; i < _providers.Length; i++)
            {
                if (string.Equals(_providers[i].Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    private static ChatOptions? OptionsFor(ChatOptions? options, ChainProvider provider)
    {
        // A model id from the caller names one provider's model; every provider is pinned to its own.
        if (options?.ModelId is null || string.Equals(options.ModelId, provider.Model, StringComparison.Ordinal))
        {
            return options;
        }

        var copy = options.Clone();
        copy.ModelId = provider.Model;
        return copy;
    }

    private static HttpExchange? BeginExchange(ChainProvider provider)
    {
        if (!provider.ObservesHttp)
        {
            return null;
        }

        var exchange = new HttpExchange();
        HttpExchange.Current = exchange;
        return exchange;
    }

    private static void EndExchange(HttpExchange? exchange)
    {
        if (exchange is not null)
        {
            HttpExchange.Current = null;
        }
    }

    private static void AnnotateFirst(ChatResponseUpdate update, ChainProvider provider)
    {
        var properties = update.AdditionalProperties ??= [];
        properties[FallbackMetadataKeys.Provider] = provider.Name;
        properties[FallbackMetadataKeys.Model] = provider.Model;
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

    /// <summary>
    /// Whether the provider's last rate-limit headers say this request would not fit before its window resets;
    /// such a provider is deferred to the end of the chain instead of being sent a request it would refuse with 429.
    /// </summary>
    private bool WouldExceedRateLimit(FallbackCall call, ChainProvider provider, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (!provider.RateLimit.Known)
        {
            return false;
        }

        call.PromptTokens ??= RequestTokenEstimate.PromptTokens(messages);
        var needed = call.PromptTokens.Value + (options?.MaxOutputTokens ?? provider.MaxOutputTokens ?? 0);
        if (!provider.RateLimit.WouldExceed(needed, _timeProvider.GetUtcNow(), out var reason))
        {
            return false;
        }

        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.CoolingDown, null, TimeSpan.Zero,
            Detail: $"rate limit: {reason}; tried last if nothing else answers", Skipped: true));
        return true;
    }

    /// <summary>Asks the provider's breaker for admission; an open breaker defers the provider to the end of the chain.</summary>
    private static bool Admit(FallbackCall call, ChainProvider provider, out bool probe)
    {
        probe = false;
        var breaker = provider.Breaker;
        if (breaker is null || breaker.TryEnter(out probe))
        {
            return true;
        }

        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.CircuitOpen, null, TimeSpan.Zero,
            Detail: $"circuit {breaker.State.ToString().ToLowerInvariant()} until {breaker.OpenUntil:HH:mm:ss.fff}; tried last if nothing else answers", Skipped: true));
        return false;
    }

    private bool ShouldSkip(FallbackCall call, ChainProvider provider)
    {
        var now = provider.EverCooledDown ? _timeProvider.GetUtcNow() : default;
        if (provider.EverCooledDown && provider.IsCoolingDown(now, out var until))
        {
            call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.CoolingDown, null, TimeSpan.Zero,
                Detail: $"rate limited; skipped for another {(until - now).TotalMilliseconds:0} ms", Skipped: true));
            return true;
        }

        if (call.ContextFloor is int floor && provider.ContextWindow is int window && window <= floor)
        {
            call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.ContextLengthExceeded, null, TimeSpan.Zero,
                Detail: $"context window {window} is not larger than the {floor} that was exceeded", Skipped: true));
            return true;
        }

        return false;
    }

    private FailureClassification ClassifyException(Exception ex, FallbackCall call, CancellationTokenSource source, HttpExchange? exchange, bool contentSeen)
    {
        if (ex is OperationCanceledException && source.IsCancellationRequested)
        {
            // Timers may fire a hair early: when the deadline set the timer, the deadline is what fired.
            if (call.DeadlineBinds || call.DeadlinePassed)
            {
                return new(FailureKind.DeadlineExceeded, null, null, $"the chain's deadline of {call.Deadline.TotalMilliseconds:0} ms passed");
            }

            return contentSeen
                ? new(FailureKind.Timeout, null, null, "the attempt timed out")
                : new(FailureKind.FirstTokenTimeout, null, null, "no content before the first-token timeout");
        }

        return FailureClassifier.Classify(ex, exchange, _redactor);
    }

    private void Succeed(FallbackCall call, ChainProvider provider, int retry, AttemptScope attempt, Activity? activity)
    {
        var end = _timeProvider.GetTimestamp();
        var elapsed = _timeProvider.GetElapsedTime(attempt.Start, end);
        provider.Breaker?.OnSuccess();
        provider.Health.Record(elapsed, FailureKind.None, default);
        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.None, null, elapsed, retry));
        FallbackTelemetry.RecordAttempt(provider.Name, provider.Model, FailureKind.None, elapsed);
        FallbackTelemetry.RecordCall(provider.Name, FailureKind.None, call.ElapsedAt(end));
        Log.Answered(_logger, provider.Name, provider.Model, elapsed.TotalMilliseconds, call.Attempts.Count);
        if (activity is not null)
        {
            activity.SetTag(FallbackTelemetry.ProviderTag, provider.Name);
            activity.SetTag("gen_ai.response.model", provider.Model);
            activity.SetTag(FallbackTelemetry.AttemptCountTag, call.Attempts.Count);
        }
    }

    private void RecordFailure(FallbackCall call, ChainProvider provider, int retry, AttemptScope attempt, FailureClassification failure)
    {
        var elapsed = _timeProvider.GetElapsedTime(attempt.Start);
        provider.Health.Record(elapsed, failure.Kind, _timeProvider.GetUtcNow());
        if (failure.Kind is FailureKind.DeadlineExceeded or FailureKind.Cancelled)
        {
            provider.Breaker?.OnAbandoned(attempt.Probe);
        }
        else
        {
            provider.Breaker?.OnFailure(failure.Kind, attempt.Probe);
        }

        call.Attempts.Add(new(provider.Name, provider.Model, failure.Kind, failure.StatusCode, elapsed, retry, failure.Detail));
        FallbackTelemetry.RecordAttempt(provider.Name, provider.Model, failure.Kind, elapsed);
        Log.AttemptFailed(_logger, provider.Name, provider.Model, failure.Kind, failure.StatusCode, elapsed.TotalMilliseconds, failure.Detail);
        Activity.Current?.AddEvent(new ActivityEvent("skfallback.attempt_failed", tags: new ActivityTagsCollection
        {
            [FallbackTelemetry.ProviderTag] = provider.Name,
            [FallbackTelemetry.ReasonTag] = FallbackTelemetry.OutcomeName(failure.Kind),
            ["http.response.status_code"] = failure.StatusCode,
        }));
    }

    private async ValueTask<Decision> DecideAsync(FallbackCall call, ChainProvider provider, string? nextProvider, int retry, AttemptScope attempt, FailureClassification failure)
    {
        RecordFailure(call, provider, retry, attempt, failure);

        if (failure.Kind == FailureKind.DeadlineExceeded)
        {
            return Decision.Stop;
        }

        if (failure.Kind == FailureKind.RateLimited)
        {
            var cooldown = failure.RetryAfter ?? _defaultCooldown;
            var until = _timeProvider.GetUtcNow() + cooldown;
            provider.CoolDownUntil(until);
            if (_stateStore is { } store)
            {
                // The breaker fields restate the current state, so a cooldown never moves shared breaker state back.
                var open = provider.Breaker is { State: not CircuitState.Closed } breaker;
                store.Publish(new ProviderStateChange(provider.Key, open ? CircuitState.Open : CircuitState.Closed, provider.Breaker?.OpenUntil ?? default, until, store.ReplicaId));
            }

            Log.CoolingDown(_logger, provider.Name, cooldown.TotalMilliseconds);
        }

        if (failure.Kind == FailureKind.ContextLengthExceeded && provider.ContextWindow is int window)
        {
            call.ContextFloor = Math.Max(call.ContextFloor ?? 0, window);
        }

        if (!_fallbackOn[(int)failure.Kind])
        {
            Log.NotFallingBack(_logger, provider.Name, failure.Kind);
            return Decision.Stop;
        }

        // A provider whose breaker is not closed (a probe, a last resort, or one that just opened) is not retried.
        if (_retryOn[(int)failure.Kind] && retry < provider.MaxRetries && call.RetryBudget > 0
            && (provider.Breaker is null || provider.Breaker.State == CircuitState.Closed))
        {
            var delay = RetryBackoff.Delay(retry, _retryBaseDelay, _retryMaxDelay, Random.Shared.NextDouble());
            var remaining = call.Remaining;
            if (remaining == Timeout.InfiniteTimeSpan || delay < remaining)
            {
                call.RetryBudget--;
                Log.Retrying(_logger, provider.Name, delay.TotalMilliseconds, failure.Kind, retry + 1, call.RetryBudget);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _timeProvider, call.CallerToken).ConfigureAwait(false);
                }

                return Decision.Retry;
            }
        }

        FallbackTelemetry.RecordFallback(provider.Name, failure.Kind);
        if (nextProvider is not null)
        {
            Log.FallingBack(_logger, provider.Name, nextProvider, failure.Kind);
        }

        return Decision.Next;
    }

    private FallbackExhaustedException StopWith(FallbackCall call, Activity? activity, FailureClassification failure, bool outputCommitted = false)
    {
        if (failure.Kind == FailureKind.DeadlineExceeded)
        {
            return Exhausted(call, activity, deadline: true);
        }

        // A failure that does not fall back (a caller error) surfaces as the provider's own exception.
        if (!outputCommitted && call.LastException is { } original && !_fallbackOn[(int)failure.Kind])
        {
            activity?.SetStatus(ActivityStatusCode.Error, FallbackTelemetry.OutcomeName(failure.Kind));
            FallbackTelemetry.RecordCall(null, failure.Kind, call.Elapsed);
            ExceptionDispatchInfo.Capture(original).Throw();
        }

        var message = outputCommitted
            ? $"The stream failed with {failure.Kind} after part of the answer was delivered."
            : $"The call failed with {failure.Kind}, which is not configured to fall back.";
        return Fail(call, activity, message, failure.Kind, outputCommitted);
    }

    private FallbackExhaustedException Exhausted(FallbackCall call, Activity? activity, bool deadline)
    {
        if (deadline && (call.Attempts.Count == 0 || call.Attempts[^1].Outcome != FailureKind.DeadlineExceeded))
        {
            call.Attempts.Add(new("(chain)", string.Empty, FailureKind.DeadlineExceeded, null, call.Elapsed,
                Detail: $"the chain's deadline of {call.Deadline.TotalMilliseconds:0} ms passed", Skipped: true));
        }

        var message = deadline
            ? $"The fallback chain's deadline of {call.Deadline.TotalMilliseconds:0} ms passed after {call.Attempts.Count(a => !a.Skipped)} attempts."
            : $"Every provider in the fallback chain failed ({call.Attempts.Count(a => !a.Skipped)} attempts over {_providers.Length} providers).";
        return Fail(call, activity, message, deadline ? FailureKind.DeadlineExceeded : FailureKind.Unknown, outputCommitted: false);
    }

    private FallbackExhaustedException Fail(FallbackCall call, Activity? activity, string message, FailureKind kind, bool outputCommitted)
    {
        var exception = new FallbackExhaustedException(message, call.Attempts.ToArray(), call.LastException, outputCommitted);
        Log.Exhausted(_logger, call.Attempts.Count, string.Join("; ", call.Attempts));
        FallbackTelemetry.RecordCall(null, kind, call.Elapsed);
        activity?.SetStatus(ActivityStatusCode.Error, message);
        activity?.SetTag(FallbackTelemetry.AttemptCountTag, call.Attempts.Count);
        return exception;
    }

    private ChainProvider Build(FallbackOptions options, int index, List<IProviderClientFactory> factories)
    {
        var p = options.Providers[index];
        var custom = string.Equals(p.Kind, ProviderKinds.Custom, StringComparison.OrdinalIgnoreCase);
        var attemptTimeout = p.AttemptTimeout ?? options.AttemptTimeout;
        var firstTokenTimeout = p.FirstTokenTimeout ?? options.FirstTokenTimeout;
        var maxRetries = p.MaxRetries ?? options.MaxRetriesPerProvider;
        var requireFinish = p.RequireFinishReason ?? !custom;

        if (options.AllowModelAliases && FallbackOptionsValidator.IsAlias(p.Model))
        {
            Log.ModelAlias(_logger, p.Name, p.Model);
        }

        if (custom)
        {
            var client = p.Client ?? throw new InvalidOperationException(
                $"{FallbackOptions.SectionName}:Providers:{index}: provider '{p.Name}' of kind Custom has no Client; resolve its ServiceKey before building the chain.");
            return new ChainProvider(p.Name, p.Model, client, ownsClient: false, ownedHttpClient: null, observesHttp: false,
                requireFinish, attemptTimeout, firstTokenTimeout, maxRetries, p.ContextWindow)
            {
                Breaker = NewBreaker(options, p),
                MaxOutputTokens = p.MaxOutputTokens,
            };
        }

        var factory = factories.FirstOrDefault(f => f.CanCreate(p)) ?? DiscoverFactory(p)
            ?? throw new InvalidOperationException(
                $"{FallbackOptions.SectionName}:Providers:{index}:Kind '{p.Kind}' of provider '{p.Name}' needs the SkFallback.{p.Kind} package " +
                "(reference it, or pass its IProviderClientFactory to the chain).");

        HttpClient? owned = null;
        var http = p.HttpClient;
        if (http is null)
        {
            owned = new HttpClient(new ProviderHttpHandler(new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(10),
            }, _timeProvider))
            {
                // The chain times attempts out; the HttpClient must not cut streams on its own.
                Timeout = Timeout.InfiniteTimeSpan,
            };
            http = owned;
        }

        var built = factory.Create(p, http);
        return new ChainProvider(p.Name, p.Model, built, ownsClient: true, owned, observesHttp: owned is not null,
            requireFinish, attemptTimeout, firstTokenTimeout, maxRetries, p.ContextWindow)
        {
            Breaker = NewBreaker(options, p),
            MaxOutputTokens = p.MaxOutputTokens,
        };
    }

    private CircuitBreaker? NewBreaker(FallbackOptions options, ProviderOptions provider)
    {
        if (!options.CircuitBreaker.Enabled)
        {
            return null;
        }

        var breaker = new CircuitBreaker($"{provider.Name}/{provider.Model}", options.CircuitBreaker, _timeProvider);
        breaker.Transitioned += OnBreakerTransition;
        return breaker;
    }

    private void OnBreakerTransition(CircuitBreaker breaker, CircuitState from, CircuitState to, DateTimeOffset openUntil)
    {
        Log.BreakerTransition(_logger, breaker.Key, from, to, openUntil);
        FallbackTelemetry.RecordBreakerTransition(breaker.Key, from, to);
        if (to != CircuitState.HalfOpen && _stateStore is { } store)
        {
            store.Publish(new ProviderStateChange(breaker.Key, to, openUntil, null, store.ReplicaId));
        }
    }

    private static IProviderClientFactory? DiscoverFactory(ProviderOptions provider)
    {
        // Lets a referenced SkFallback.<Kind> package work without registration, as a user would expect.
        var type = Type.GetType($"SkFallback.{provider.Kind}.{provider.Kind}ProviderClientFactory, SkFallback.{provider.Kind}", throwOnError: false, ignoreCase: true);
        return type is not null && Activator.CreateInstance(type) is IProviderClientFactory factory && factory.CanCreate(provider) ? factory : null;
    }
}
