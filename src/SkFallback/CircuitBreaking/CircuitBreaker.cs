namespace SkFallback.CircuitBreaking;

/// <summary>
/// The breaker of one provider and model: closed → (N consecutive counted failures) → open → (break ends) →
/// half-open with exactly one probe → closed on success, open again with a doubled break on failure.
/// </summary>
/// <remarks>
/// The healthy path (closed, no failures pending) reads one field and takes no lock; every transition happens
/// under a lock, so concurrent callers never see two probes.
/// </remarks>
internal sealed class CircuitBreaker
{
    private readonly object _gate = new();
    private readonly CircuitBreakerOptions _options;
    private readonly bool[] _counted;
    private readonly TimeProvider _timeProvider;
    private readonly Func<double> _random;
    private volatile int _state;
    private volatile int _consecutiveFailures;
    private int _opens;
    private long _openUntilUtcTicks;
    private long _probeStartedUtcTicks;

    public CircuitBreaker(string key, CircuitBreakerOptions options, TimeProvider timeProvider, Func<double>? random = null)
    {
        Key = key;
        _options = options;
        _timeProvider = timeProvider;
        _random = random ?? Random.Shared.NextDouble;
        _counted = new bool[Enum.GetValues<FailureKind>().Length];
        foreach (var kind in (IEnumerable<FailureKind>?)options.CountedFailures ?? CircuitBreakerOptions.DefaultCountedFailures)
        {
            _counted[(int)kind] = true;
        }
    }

    /// <summary>Raised after every transition, outside the lock: (from, to, open until).</summary>
    public event Action<CircuitBreaker, CircuitState, CircuitState, DateTimeOffset>? Transitioned;

    /// <summary>Gets the provider key, <c>{provider}/{model}</c>.</summary>
    public string Key { get; }

    public CircuitState State => (CircuitState)_state;

    public int ConsecutiveFailures => _consecutiveFailures;

    public DateTimeOffset OpenUntil => new(Interlocked.Read(ref _openUntilUtcTicks), TimeSpan.Zero);

    /// <summary>Gets the store-wide probe check, consulted on the open → half-open transition (shared state).</summary>
    public Func<string, bool>? ProbeGate { get; set; }

    /// <summary>
    /// Asks to send a request. Closed: yes. Open and its break over: yes, as the single probe (the breaker goes
    /// half-open). Otherwise no.
    /// </summary>
    public bool TryEnter(out bool probe)
    {
        probe = false;
        if (_state == (int)CircuitState.Closed)
        {
            return true;
        }

        lock (_gate)
        {
            if (_state == (int)CircuitState.Closed)
            {
                return true;
            }

            if (!ProbeDue(_timeProvider.GetUtcNow()))
            {
                return false;
            }
        }

        // The shared gate may ask Redis: outside the lock, so callers of this breaker never wait on it.
        if (ProbeGate is { } gate && !gate(Key))
        {
            return false;
        }

        CircuitState from;
        DateTimeOffset until;
        lock (_gate)
        {
            var now = _timeProvider.GetUtcNow();
            if (_state == (int)CircuitState.Closed)
            {
                return true;
            }

            // Another caller may have taken the probe while the gate was asked.
            if (!ProbeDue(now))
            {
                return false;
            }

            from = (CircuitState)_state;
            _state = (int)CircuitState.HalfOpen;
            _probeStartedUtcTicks = now.UtcTicks;
            until = OpenUntil;
            probe = true;
        }

        if (from != CircuitState.HalfOpen)
        {
            Transitioned?.Invoke(this, from, CircuitState.HalfOpen, until);
        }

        return true;
    }

    /// <summary>Whether an open breaker's break is over, or a half-open breaker's probe went silent for a whole break (its caller vanished). Call under the lock.</summary>
    private bool ProbeDue(DateTimeOffset now) => (CircuitState)_state == CircuitState.HalfOpen
        ? now.UtcTicks - _probeStartedUtcTicks >= _options.BreakDuration.Ticks
        : now.UtcTicks >= _openUntilUtcTicks;

    /// <summary>
    /// Reports an answer (or a failure that does not count, which still shows the provider is up). Closes the
    /// breaker from any state: a probe, or a last-resort attempt on an open provider, that answers proves it works.
    /// </summary>
    public void OnSuccess()
    {
        if (_state == (int)CircuitState.Closed && _consecutiveFailures == 0)
        {
            return;
        }

        CircuitState from;
        lock (_gate)
        {
            _consecutiveFailures = 0;
            from = (CircuitState)_state;
            if (from == CircuitState.Closed)
            {
                return;
            }

            _state = (int)CircuitState.Closed;
            _opens = 0;
        }

        Transitioned?.Invoke(this, from, CircuitState.Closed, default);
    }

    /// <summary>Reports a failure of the given kind (<paramref name="probe"/>: whether the failed request was sent as the probe).</summary>
    public void OnFailure(FailureKind kind, bool probe)
    {
        if (!_counted[(int)kind])
        {
            OnSuccess();
            return;
        }

        CircuitState from;
        DateTimeOffset until;
        lock (_gate)
        {
            _consecutiveFailures++;
            from = (CircuitState)_state;
            // Only a half-open breaker reopens on one failure; a late report from a probe of an earlier episode
            // (the breaker closed meanwhile) counts like any other failure.
            var reopen = from == CircuitState.HalfOpen;
            if (!reopen && (from != CircuitState.Closed || _consecutiveFailures < _options.FailureThreshold))
            {
                return;
            }

            _opens = reopen ? _opens + 1 : 1;
            until = _timeProvider.GetUtcNow() + BreakFor(_opens);
            _openUntilUtcTicks = until.UtcTicks;
            _state = (int)CircuitState.Open;
        }

        Transitioned?.Invoke(this, from, CircuitState.Open, until);
    }

    /// <summary>Reports that a probe ended without an answer either way (the caller cancelled): the next caller may probe.</summary>
    public void OnAbandoned(bool probe)
    {
        if (!probe)
        {
            return;
        }

        lock (_gate)
        {
            if (_state == (int)CircuitState.HalfOpen)
            {
                _state = (int)CircuitState.Open;
                _openUntilUtcTicks = _timeProvider.GetUtcNow().UtcTicks;
            }
        }
    }

    /// <summary>Applies a change another replica made (shared state); never raises <see cref="Transitioned"/>.</summary>
    public void Apply(CircuitState state, DateTimeOffset openUntil)
    {
        lock (_gate)
        {
            if (state == CircuitState.Open)
            {
                if (openUntil.UtcTicks > _openUntilUtcTicks || _state == (int)CircuitState.Closed)
                {
                    _openUntilUtcTicks = Math.Max(_openUntilUtcTicks, openUntil.UtcTicks);
                    if (_state != (int)CircuitState.HalfOpen)
                    {
                        _state = (int)CircuitState.Open;
                    }
                }
            }
            else if (state == CircuitState.Closed && _state == (int)CircuitState.Open)
            {
                _state = (int)CircuitState.Closed;
                _consecutiveFailures = 0;
                _opens = 0;
            }
        }
    }

    /// <summary>The jittered break after the n-th consecutive opening: base · 2^(n−1), capped, ±jitter.</summary>
    internal TimeSpan BreakFor(int opens)
    {
        var baseTicks = Math.Min(_options.BreakDuration.Ticks * Math.Pow(2, Math.Min(opens - 1, 20)), _options.MaxBreakDuration.Ticks);
        var jittered = baseTicks * (1 + (_options.Jitter * ((2 * _random()) - 1)));
        return TimeSpan.FromTicks((long)Math.Max(jittered, TimeSpan.TicksPerMillisecond));
    }
}
