namespace SkFallback.Routing;

/// <summary>The state of one call through the chain: its attempts, what is left of its retry budget, its deadline.</summary>
internal sealed class FallbackCall
{
    // One idle call per thread: a call that answered at once is reused by the next call on its thread.
    [ThreadStatic]
    private static FallbackCall? t_idle;

    private TimeProvider _timeProvider;

    public FallbackCall(TimeProvider timeProvider, int retryBudget, TimeSpan deadline, CancellationToken callerToken)
    {
        _timeProvider = timeProvider;
        RetryBudget = retryBudget;
        CallerToken = callerToken;
        StartTimestamp = timeProvider.GetTimestamp();
        HasDeadline = deadline != Timeout.InfiniteTimeSpan;
        Deadline = deadline;
    }

    /// <summary>A new call, reusing this thread's idle one when there is one (<see cref="Recycle"/>).</summary>
    public static FallbackCall Rent(TimeProvider timeProvider, int retryBudget, TimeSpan deadline, CancellationToken callerToken)
    {
        var call = t_idle;
        if (call is null)
        {
            return new(timeProvider, retryBudget, deadline, callerToken);
        }

        t_idle = null;
        call._timeProvider = timeProvider;
        call.RetryBudget = retryBudget;
        call.CallerToken = callerToken;
        call.StartTimestamp = timeProvider.GetTimestamp();
        call.HasDeadline = deadline != Timeout.InfiniteTimeSpan;
        call.Deadline = deadline;
        call.Attempts = new();
        return call;
    }

    /// <summary>
    /// Makes a finished call this thread's idle one. Only for a call nothing refers to any more (the answer keeps
    /// <see cref="Attempts"/>, never the call): everything but the clock is reset to a new call's state.
    /// </summary>
    public void Recycle()
    {
        CallerToken = default;
        ContextFloor = null;
        Charged = false;
        Chunks = 0;
        _cost = null;
        Usage = null;
        PromptBound = long.MinValue;
        LastException = null;
        _started = false;
        DeadlineBinds = false;
        t_idle = this;
    }

    /// <summary>A racer's call: the parent's clock, deadline and budgets, no retries, and its own attempt state.</summary>
    private FallbackCall(FallbackCall parent, CancellationToken raceToken)
    {
        _timeProvider = parent._timeProvider;
        CallerToken = raceToken;
        StartTimestamp = parent.StartTimestamp;
        HasDeadline = parent.HasDeadline;
        Deadline = parent.Deadline;
        ContextFloor = parent.ContextFloor;
        PromptBound = parent.PromptBound;
        _started = true;
        if (parent._cost is { } cost)
        {
            _cost = new()
            {
                Routing = cost.Routing,
                Route = cost.Route,
                MaxCost = cost.MaxCost,
                MaxCostScope = cost.MaxCostScope,
                Turn = cost.Turn,
                Tenant = cost.Tenant,
                TenantLimit = cost.TenantLimit,
                Spent = cost.Spent,
            };
        }
    }

    /// <summary>A call for one racer of a hedged or parallel race, cancelled by <paramref name="raceToken"/> (the caller's token, linked).</summary>
    public FallbackCall Fork(CancellationToken raceToken) => new(this, raceToken);

    /// <summary>Takes over a racer's running attempt (a streaming race's winner): its usage, its tenant reservation and whether it was charged.</summary>
    public void TakeAttempt(FallbackCall racer)
    {
        Usage = racer.Usage;
        Reservation = racer.Reservation;
        Charged = racer.Charged;
        Chunks = racer.Chunks;
        racer.Reservation = null;
        racer.Usage = null;
    }

    /// <summary>
    /// Takes back what a racer learned: its attempts, what it spent, its last error and the context floor (a winner's
    /// running attempt is taken over with <see cref="TakeAttempt"/>). Only the race's coordinator calls this.
    /// </summary>
    public void Join(FallbackCall racer, decimal spentAtFork)
    {
        Attempts.AddRange(racer.Attempts);
        if (racer.Spent != spentAtFork)
        {
            Spent += racer.Spent - spentAtFork;
        }

        LastException = racer.LastException ?? LastException;
        if (racer.ContextFloor is int floor)
        {
            ContextFloor = Math.Max(ContextFloor ?? 0, floor);
        }
    }

    public AttemptList Attempts { get; private set; } = new();

    public int RetryBudget { get; set; }

    public CancellationToken CallerToken { get; private set; }

    public long StartTimestamp { get; private set; }

    public bool HasDeadline { get; private set; }

    public TimeSpan Deadline { get; private set; }

    /// <summary>Gets or sets the context window of a provider that was too small; providers not larger are skipped.</summary>
    public int? ContextFloor { get; set; }

    /// <summary>Gets or sets a value indicating whether the running attempt has been charged.</summary>
    public bool Charged { get; set; }

    /// <summary>Gets or sets how many chunks the running streaming attempt delivered (charged as output when the provider reports no usage).</summary>
    public long Chunks { get; set; }

    private CostState? _cost;

    /// <summary>Gets or sets the usage the running attempt's provider reported (set before a 200 answer is judged a failure).</summary>
    public Microsoft.Extensions.AI.UsageDetails? Usage { get; set; }

    /// <summary>Gets or sets an upper bound on the prompt tokens of any family (-1 when it cannot be bounded cheaply; <see cref="long.MinValue"/> before it is computed).</summary>
    public long PromptBound { get; set; } = long.MinValue;

    /// <summary>Gets or sets the request as routing sees it, created only when the call is routed, budgeted or checked against a context window.</summary>
    public RoutingRequest? Routing
    {
        get => _cost is null ? default : _cost.Routing;
        set
        {
            if (_cost is not null || !EqualityComparer<RoutingRequest?>.Default.Equals(value, default))
            {
                (_cost ??= new()).Routing = value;
            }
        }
    }

    /// <summary>Gets or sets the chain positions to try, in order, when a policy chose them (otherwise the chain order).</summary>
    public IReadOnlyList<int>? Route
    {
        get => _cost is null ? default : _cost.Route;
        set
        {
            if (_cost is not null || !EqualityComparer<IReadOnlyList<int>?>.Default.Equals(value, default))
            {
                (_cost ??= new()).Route = value;
            }
        }
    }

    /// <summary>Gets or sets the most the call may spend (per-call limit, turn remainder, the tighter), or <see langword="null"/>.</summary>
    public decimal? MaxCost
    {
        get => _cost is null ? default : _cost.MaxCost;
        set
        {
            if (_cost is not null || !EqualityComparer<decimal?>.Default.Equals(value, default))
            {
                (_cost ??= new()).MaxCost = value;
            }
        }
    }

    /// <summary>Gets or sets which budget <see cref="MaxCost"/> comes from.</summary>
    public BudgetScope MaxCostScope
    {
        get => _cost is null ? default : _cost.MaxCostScope;
        set
        {
            if (_cost is not null || !EqualityComparer<BudgetScope>.Default.Equals(value, default))
            {
                (_cost ??= new()).MaxCostScope = value;
            }
        }
    }

    /// <summary>Gets or sets the turn budget the call draws from.</summary>
    public Cost.TurnBudget? Turn
    {
        get => _cost is null ? default : _cost.Turn;
        set
        {
            if (_cost is not null || !EqualityComparer<Cost.TurnBudget?>.Default.Equals(value, default))
            {
                (_cost ??= new()).Turn = value;
            }
        }
    }

    /// <summary>Gets or sets the tenant the call is made for.</summary>
    public string? Tenant
    {
        get => _cost is null ? default : _cost.Tenant;
        set
        {
            if (_cost is not null || !EqualityComparer<string?>.Default.Equals(value, default))
            {
                (_cost ??= new()).Tenant = value;
            }
        }
    }

    /// <summary>Gets or sets the tenant's daily limit, when it has one.</summary>
    public decimal? TenantLimit
    {
        get => _cost is null ? default : _cost.TenantLimit;
        set
        {
            if (_cost is not null || !EqualityComparer<decimal?>.Default.Equals(value, default))
            {
                (_cost ??= new()).TenantLimit = value;
            }
        }
    }

    /// <summary>Gets or sets the tenant budget held for the running attempt.</summary>
    public Cost.SpendReservation? Reservation
    {
        get => _cost is null ? default : _cost.Reservation;
        set
        {
            if (_cost is not null || !EqualityComparer<Cost.SpendReservation?>.Default.Equals(value, default))
            {
                (_cost ??= new()).Reservation = value;
            }
        }
    }

    /// <summary>Gets or sets what the call has been charged so far.</summary>
    public decimal Spent
    {
        get => _cost is null ? default : _cost.Spent;
        set
        {
            if (_cost is not null || !EqualityComparer<decimal>.Default.Equals(value, default))
            {
                (_cost ??= new()).Spent = value;
            }
        }
    }

    /// <summary>Gets or sets the cost charged for the last attempt, when priced.</summary>
    public decimal? LastCost
    {
        get => _cost is null ? default : _cost.LastCost;
        set
        {
            if (_cost is not null || !EqualityComparer<decimal?>.Default.Equals(value, default))
            {
                (_cost ??= new()).LastCost = value;
            }
        }
    }

    /// <summary>Gets or sets the last exception a provider threw, kept as the inner exception when the chain gives up.</summary>
    public Exception? LastException { get; set; }

    public TimeSpan Elapsed => _timeProvider.GetElapsedTime(StartTimestamp);

    /// <summary>
    /// The start of the next attempt. The first attempt starts with the call, so a healthy call reads the clock
    /// only twice (start and end): clock reads cost tens of nanoseconds on some machines.
    /// </summary>
    public long NextAttemptStart(out bool first)
    {
        first = !_started;
        _started = true;
        return first ? StartTimestamp : _timeProvider.GetTimestamp();
    }

    private bool _started;

    /// <summary>The time from the call's start to <paramref name="timestamp"/>, without reading the clock.</summary>
    public TimeSpan ElapsedAt(long timestamp) => _timeProvider.GetElapsedTime(StartTimestamp, timestamp);

    public bool DeadlinePassedAt(long timestamp) => HasDeadline && ElapsedAt(timestamp) >= Deadline;

    /// <summary>Time left before the deadline (<see cref="Timeout.InfiniteTimeSpan"/> without one; never negative).</summary>
    public TimeSpan Remaining => RemainingAt(_timeProvider.GetTimestamp());

    public bool DeadlinePassed => DeadlinePassedAt(_timeProvider.GetTimestamp());

    /// <summary>Gets a value indicating whether the running attempt's timer was set by the deadline rather than its own timeout.</summary>
    public bool DeadlineBinds { get; private set; }

    /// <summary>Time left before the deadline at <paramref name="timestamp"/> (<see cref="Timeout.InfiniteTimeSpan"/> without one; never negative).</summary>
    public TimeSpan RemainingAt(long timestamp)
    {
        if (!HasDeadline)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var left = Deadline - ElapsedAt(timestamp);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>
    /// The shorter of <paramref name="timeout"/> and the time left before the deadline at <paramref name="timestamp"/>
    /// (at least one tick, so a timer is always set); records in <see cref="DeadlineBinds"/> which one it was.
    /// </summary>
    public TimeSpan BoundAt(TimeSpan timeout, long timestamp)
    {
        var remaining = RemainingAt(timestamp);
        if (remaining == TimeSpan.Zero)
        {
            remaining = TimeSpan.FromTicks(1);
        }

        DeadlineBinds = remaining != Timeout.InfiniteTimeSpan && (timeout == Timeout.InfiniteTimeSpan || remaining <= timeout);
        return DeadlineBinds ? remaining : timeout;
    }

    /// <summary>Gets or sets the cost estimated before dispatch for the last charged attempt.</summary>
    public decimal? LastEstimate
    {
        get => _cost is null ? default : _cost.LastEstimate;
        set
        {
            if (_cost is not null || value is not null)
            {
                (_cost ??= new()).LastEstimate = value;
            }
        }
    }

    /// <summary>The cost state of a call, allocated only for calls that are routed, budgeted or charged, so a plain call stays small.</summary>
    private sealed class CostState
    {
        public RoutingRequest? Routing { get; set; }

        public IReadOnlyList<int>? Route { get; set; }

        public decimal? MaxCost { get; set; }

        public BudgetScope MaxCostScope { get; set; }

        public Cost.TurnBudget? Turn { get; set; }

        public string? Tenant { get; set; }

        public decimal? TenantLimit { get; set; }

        public Cost.SpendReservation? Reservation { get; set; }

        public decimal Spent { get; set; }

        public decimal? LastCost { get; set; }

        public decimal? LastEstimate { get; set; }
    }
}
