using SkFallback.Simulator.RateLimiting;
using SkFallback.Simulator.Scripting;

namespace SkFallback.Simulator;

/// <summary>
/// The script of one simulated model id: a queue of behaviours consumed one per request, a default behaviour
/// once the queue is empty, latency, context window and rate limits. Thread-safe; methods return the script for chaining.
/// </summary>
public sealed class ModelScript
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly Queue<SimulatedBehavior> _queue = new();
    private SimulatedBehavior _always = SimulatedBehavior.Ok();
    private LatencyProfile? _latency;
    private int? _contextWindow;
    private RateLimitBuckets? _rateLimits;
    private bool _echoPrefix;
    private bool _prefixOnlyOnBeta;
    private bool _rejectPrefill;
    private double _outputBillFactor = 1.0;
    private readonly Dictionary<string, SimulatedBehavior> _answers = new(StringComparer.Ordinal);
    private string? _version;
    private ModelDrift? _drift;
    private int _requests;

    internal ModelScript(string modelId, TimeProvider timeProvider)
    {
        ModelId = modelId;
        _timeProvider = timeProvider;
    }

    /// <summary>Gets the model id this script belongs to.</summary>
    public string ModelId { get; }

    /// <summary>Queues a behaviour for the next <paramref name="times"/> requests, after those already queued.</summary>
    /// <param name="behavior">The behaviour.</param>
    /// <param name="times">How many requests get it (at least 1).</param>
    /// <returns>This script.</returns>
    public ModelScript Then(SimulatedBehavior behavior, int times = 1)
    {
        ArgumentNullException.ThrowIfNull(behavior);
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        lock (_gate)
        {
            for (var i = 0; i < times; i++)
            {
                _queue.Enqueue(behavior);
            }
        }

        return this;
    }

    /// <summary>Queues the next <paramref name="requests"/> behaviours of a seeded <see cref="FaultMix"/>, after those already queued.</summary>
    /// <param name="mix">The mix.</param>
    /// <param name="requests">How many requests draw from it (at least 1); later ones get <see cref="Always"/>'s behaviour.</param>
    /// <returns>This script.</returns>
    public ModelScript Then(FaultMix mix, int requests)
    {
        ArgumentNullException.ThrowIfNull(mix);
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        var drawn = mix.Draw(requests);
        lock (_gate)
        {
            foreach (var behavior in drawn)
            {
                _queue.Enqueue(behavior);
            }
        }

        return this;
    }

    /// <summary>Sets the behaviour used once the queue is empty (initially <see cref="SimulatedBehavior.Ok"/>).</summary>
    /// <param name="behavior">The behaviour.</param>
    /// <returns>This script.</returns>
    public ModelScript Always(SimulatedBehavior behavior)
    {
        ArgumentNullException.ThrowIfNull(behavior);
        lock (_gate)
        {
            _always = behavior;
        }

        return this;
    }

    /// <summary>Sets the latency of this model, replacing <see cref="SimulatorOptions.DefaultLatency"/>.</summary>
    /// <param name="latency">The latency profile.</param>
    /// <returns>This script.</returns>
    public ModelScript WithLatency(LatencyProfile latency)
    {
        ArgumentNullException.ThrowIfNull(latency);
        ArgumentOutOfRangeException.ThrowIfLessThan(latency.Jitter, 0, nameof(latency));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(latency.Jitter, 1, nameof(latency));
        ArgumentOutOfRangeException.ThrowIfLessThan(latency.SlowFraction, 0, nameof(latency));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(latency.SlowFraction, 1, nameof(latency));
        ArgumentOutOfRangeException.ThrowIfLessThan(latency.SlowTimeToFirstToken, TimeSpan.Zero, nameof(latency));
        lock (_gate)
        {
            _latency = latency;
        }

        return this;
    }

    /// <summary>
    /// Sets the context window; requests whose prompt is estimated above it get the wire's context-length error
    /// without consuming the queue.
    /// </summary>
    /// <param name="tokens">The window in tokens (at least 1).</param>
    /// <returns>This script.</returns>
    public ModelScript WithContextWindow(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        lock (_gate)
        {
            _contextWindow = tokens;
        }

        return this;
    }

    /// <summary>
    /// Gives this model a requests bucket and a tokens bucket, both full, refilled continuously at a sixtieth of their
    /// limit per second on <see cref="SimulatorOptions.TimeProvider"/>. Every response then carries the wire's
    /// rate-limit headers (<c>x-ratelimit-*</c> on OpenAI, <c>anthropic-ratelimit-*</c> on Anthropic), and a request the
    /// buckets cannot cover gets the wire's 429 with <c>retry-after</c>, recorded as <c>rate_limited_bucket</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A request costs one request and its estimated prompt tokens plus its maximum output tokens
    /// (<c>max_completion_tokens</c> or <c>max_tokens</c>; the length of the reply when the request sets none).
    /// A refused request takes nothing; a 429 advertises the wait until both buckets hold enough.
    /// </para>
    /// <para>
    /// A scripted fault (an error status, <see cref="SimulatedBehavior.Hang"/>, <see cref="SimulatedBehavior.ConnectionReset"/>)
    /// and the context-window check take precedence over the buckets and take nothing from them: the provider
    /// refused or broke before doing the work. Behaviours that answer 200 (including drops, stalls and truncations
    /// mid-reply) go through the buckets; when refused, they stay queued for the next request.
    /// </para>
    /// <para>Calling this again refills both buckets to the new limits.</para>
    /// </remarks>
    /// <param name="requestsPerMinute">The requests limit (at least 1).</param>
    /// <param name="tokensPerMinute">The tokens limit (at least 1).</param>
    /// <returns>This script.</returns>
    public ModelScript WithRateLimits(int requestsPerMinute, int tokensPerMinute)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requestsPerMinute, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerMinute, 1);
        lock (_gate)
        {
            _rateLimits = new RateLimitBuckets(requestsPerMinute, tokensPerMinute, _timeProvider.GetUtcNow());
        }

        return this;
    }

    /// <summary>
    /// Makes prefix completions (a final assistant message with <c>"prefix": true</c>) answer with the prefix
    /// followed by its continuation, as Mistral does; by default the answer is the continuation alone, as on
    /// DeepSeek's beta endpoint.
    /// </summary>
    /// <param name="echo">Whether the answer repeats the prefix.</param>
    /// <returns>This script.</returns>
    public ModelScript EchoPrefix(bool echo = true)
    {
        lock (_gate)
        {
            _echoPrefix = echo;
        }

        return this;
    }

    /// <summary>
    /// Makes prefix completions outside the <c>/beta/</c> path fail with DeepSeek's 400 (<c>prefix is only available
    /// when using beta api</c>), as DeepSeek answers them; by default every path accepts them.
    /// </summary>
    /// <param name="betaOnly">Whether only <c>/beta/chat/completions</c> accepts prefix completions.</param>
    /// <returns>This script.</returns>
    public ModelScript PrefixOnlyOnBeta(bool betaOnly = true)
    {
        lock (_gate)
        {
            _prefixOnlyOnBeta = betaOnly;
        }

        return this;
    }

    /// <summary>
    /// Makes Anthropic requests that end with an assistant message (prefill) fail before anything runs with the 400
    /// that models from Claude Opus 4.6 and Sonnet 4.6 on send: <c>invalid_request_error</c>, "This model does not
    /// support assistant message prefill. The conversation must end with a user message." Requests ending with a
    /// user message, instructed continuations included, are answered as usual.
    /// </summary>
    /// <param name="reject">Whether prefill is rejected.</param>
    /// <returns>This script.</returns>
    public ModelScript RejectPrefill(bool reject = true)
    {
        lock (_gate)
        {
            _rejectPrefill = reject;
        }

        return this;
    }

    /// <summary>
    /// Makes the reported usage bill <paramref name="factor"/> times the output tokens actually sent (rounded up), on
    /// both wires, whole and streamed, even past the request's <c>max_tokens</c>: a provider that bills more than the
    /// cap it was given (hidden reasoning tokens, a billing bug). The reply itself still honours the cap.
    /// </summary>
    /// <param name="factor">Billed output tokens per token sent, from 1 (honest, the default) to 100.</param>
    /// <returns>This script.</returns>
    public ModelScript BillOutputTokens(double factor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(factor, 100.0);
        lock (_gate)
        {
            _outputBillFactor = factor;
        }

        return this;
    }

    /// <summary>
    /// Gives the model a known prompt: a request whose last user message is exactly <paramref name="prompt"/> is
    /// answered with <paramref name="text"/> instead of the seeded words, whenever the script would answer normally
    /// (scripted faults still apply).
    /// </summary>
    /// <param name="prompt">The last user message, compared ordinally.</param>
    /// <param name="text">The answer.</param>
    /// <returns>This script.</returns>
    public ModelScript Answer(string prompt, string text) => Answer(prompt, SimulatedBehavior.Reply(text));

    /// <summary>Gives the model a known prompt answered with <paramref name="behavior"/> (a reply or a tool call, say) whenever the script would answer normally.</summary>
    /// <param name="prompt">The last user message, compared ordinally.</param>
    /// <param name="behavior">The behaviour for that prompt.</param>
    /// <returns>This script.</returns>
    public ModelScript Answer(string prompt, SimulatedBehavior behavior)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(behavior);
        lock (_gate)
        {
            _answers[prompt] = behavior;
        }

        return this;
    }

    /// <summary>
    /// Sets the model id the responses report in their <c>model</c> field, as providers answer an alias with a dated,
    /// pinned id (<c>gpt-4o</c> answered as <c>gpt-4o-2024-08-06</c>).
    /// </summary>
    /// <param name="version">The reported model id.</param>
    /// <returns>This script.</returns>
    public ModelScript WithVersion(string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        lock (_gate)
        {
            _version = version;
        }

        return this;
    }

    /// <summary>
    /// Scripts a drift: after <paramref name="requests"/> requests (counted from now; every request the script
    /// decides counts, faults included), the model switches to <paramref name="version"/>: responses report that id
    /// and the prompts in <paramref name="answers"/> get their new answers. Prompts not listed keep theirs.
    /// </summary>
    /// <param name="requests">Requests answered as before the switch; 0 switches at once.</param>
    /// <param name="version">The model id reported after the switch.</param>
    /// <param name="answers">The new answers by prompt (text replies).</param>
    /// <returns>This script.</returns>
    public ModelScript DriftAfter(int requests, string version, IReadOnlyDictionary<string, string> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return DriftAfter(requests, version, answers.ToDictionary(a => a.Key, a => SimulatedBehavior.Reply(a.Value), StringComparer.Ordinal));
    }

    /// <summary>Scripts a drift whose new answers are behaviours (see <see cref="DriftAfter(int, string, IReadOnlyDictionary{string, string})"/>).</summary>
    /// <param name="requests">Requests answered as before the switch; 0 switches at once.</param>
    /// <param name="version">The model id reported after the switch.</param>
    /// <param name="answers">The new behaviours by prompt.</param>
    /// <returns>This script.</returns>
    public ModelScript DriftAfter(int requests, string version, IReadOnlyDictionary<string, SimulatedBehavior> answers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(requests);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentNullException.ThrowIfNull(answers);
        var copy = new Dictionary<string, SimulatedBehavior>(answers, StringComparer.Ordinal);
        lock (_gate)
        {
            _drift = new ModelDrift(_requests + requests, version, copy);
        }

        return this;
    }

    /// <summary>Gets whether the scripted drift has happened (always <see langword="false"/> without one).</summary>
    public bool HasDrifted
    {
        get
        {
            lock (_gate)
            {
                return _drift is { } drift && _requests >= drift.AfterRequests;
            }
        }
    }

    /// <summary>Sets how many tokens the tokens bucket holds now; it refills from there.</summary>
    /// <param name="tokens">The level, from 0 to the tokens-per-minute limit.</param>
    /// <returns>This script.</returns>
    /// <exception cref="InvalidOperationException"><see cref="WithRateLimits"/> was not called.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is negative or above the limit.</exception>
    public ModelScript WithRemainingTokens(int tokens)
    {
        lock (_gate)
        {
            var buckets = RequireRateLimits();
            ArgumentOutOfRangeException.ThrowIfNegative(tokens);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, buckets.TokensPerMinute);
            buckets.SetRemainingTokens(tokens, _timeProvider.GetUtcNow());
        }

        return this;
    }

    /// <summary>Sets how many requests the requests bucket holds now; it refills from there.</summary>
    /// <param name="requests">The level, from 0 to the requests-per-minute limit.</param>
    /// <returns>This script.</returns>
    /// <exception cref="InvalidOperationException"><see cref="WithRateLimits"/> was not called.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="requests"/> is negative or above the limit.</exception>
    public ModelScript WithRemainingRequests(int requests)
    {
        lock (_gate)
        {
            var buckets = RequireRateLimits();
            ArgumentOutOfRangeException.ThrowIfNegative(requests);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(requests, buckets.RequestsPerMinute);
            buckets.SetRemainingRequests(requests, _timeProvider.GetUtcNow());
        }

        return this;
    }

    internal LatencyProfile? Latency
    {
        get
        {
            lock (_gate)
            {
                return _latency;
            }
        }
    }

    internal bool PrefixNeedsBeta
    {
        get
        {
            lock (_gate)
            {
                return _prefixOnlyOnBeta;
            }
        }
    }

    internal bool RejectsPrefill
    {
        get
        {
            lock (_gate)
            {
                return _rejectPrefill;
            }
        }
    }

    internal bool EchoesPrefix
    {
        get
        {
            lock (_gate)
            {
                return _echoPrefix;
            }
        }
    }

    internal double OutputBillFactor
    {
        get
        {
            lock (_gate)
            {
                return _outputBillFactor;
            }
        }
    }

    internal int? ContextWindow
    {
        get
        {
            lock (_gate)
            {
                return _contextWindow;
            }
        }
    }

    /// <summary>
    /// Takes the next behaviour and, for a rate-limited model, admits it through the buckets in the same step, so
    /// concurrent requests see one consistent order. See <see cref="WithRateLimits"/> for what is charged.
    /// </summary>
    /// <param name="prompt">The request's last user message, for known prompts (<see cref="Answer(string, SimulatedBehavior)"/>).</param>
    /// <param name="tokenCost">The tokens a behaviour would cost; called only when the buckets are consulted.</param>
    internal ScriptDecision Next(string? prompt, Func<SimulatedBehavior, long> tokenCost)
    {
        lock (_gate)
        {
            var queued = _queue.TryPeek(out var next);
            next ??= _always;
            var drifted = _drift is { } drift && _requests >= drift.AfterRequests;
            var reported = drifted ? _drift!.Version : _version;
            next = Known(next, prompt, drifted);
            if (_rateLimits is null)
            {
                Take(queued);
                return new ScriptDecision(next, null, reported);
            }

            var now = _timeProvider.GetUtcNow();
            if (next.IsFault)
            {
                Take(queued);
                return new ScriptDecision(next, _rateLimits.Peek(now), reported);
            }

            var status = _rateLimits.TryTake(tokenCost(next), now);
            if (status.Refusal is { } refusal)
            {
                return new ScriptDecision(SimulatedBehavior.RateLimitedByBucket(refusal.RetryAfter), status, reported);
            }

            Take(queued);
            return new ScriptDecision(next, status, reported);
        }
    }

    /// <summary>A normal reply to a known prompt becomes its answer (the drifted one once drifted); anything else stays.</summary>
    private SimulatedBehavior Known(SimulatedBehavior next, string? prompt, bool drifted)
    {
        if (next.Kind != BehaviorKind.Ok || prompt is null)
        {
            return next;
        }

        if (drifted && _drift!.Answers.TryGetValue(prompt, out var changed))
        {
            return changed;
        }

        return _answers.TryGetValue(prompt, out var known) ? known : next;
    }

    /// <summary>Counts a decided request and takes the queued behaviour it used.</summary>
    private void Take(bool queued)
    {
        _requests++;
        Dequeue(queued);
    }

    /// <summary>The current bucket levels without taking anything; <see langword="null"/> without rate limits.</summary>
    internal RateLimitStatus? PeekRateLimits()
    {
        lock (_gate)
        {
            return _rateLimits?.Peek(_timeProvider.GetUtcNow());
        }
    }

    private void Dequeue(bool queued)
    {
        if (queued)
        {
            _queue.Dequeue();
        }
    }

    private RateLimitBuckets RequireRateLimits() =>
        _rateLimits ?? throw new InvalidOperationException($"Model '{ModelId}' has no rate limits: call WithRateLimits before setting a bucket level.");

    /// <summary>Clears the queue and restores the defaults; used when a JSON script replaces this one.</summary>
    internal void Clear()
    {
        lock (_gate)
        {
            _queue.Clear();
            _always = SimulatedBehavior.Ok();
            _latency = null;
            _contextWindow = null;
            _rateLimits = null;
            _echoPrefix = false;
            _prefixOnlyOnBeta = false;
            _rejectPrefill = false;
            _outputBillFactor = 1.0;
            _answers.Clear();
            _version = null;
            _drift = null;
            _requests = 0;
        }
    }
}
