using Microsoft.Extensions.AI;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>
/// The state of one call through the chain, and only the call's: its request, clock and deadline, what is left of its
/// retry budget, its attempts, what it spent. What belongs to one attempt lives on <see cref="Attempt"/>.
/// </summary>
internal sealed class CallState
{
    // One idle call per thread: a call that answered at once is reused by the next call on its thread.
    [ThreadStatic]
    private static CallState? t_idle;

    private TimeProvider _timeProvider;
    private bool _started;

    private CallState(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        Messages = [];
    }

    /// <summary>A new call, reusing this thread's idle one when there is one (<see cref="Recycle"/>).</summary>
    public static CallState Rent(TimeProvider timeProvider, int retryBudget, TimeSpan deadline, IEnumerable<ChatMessage> messages, CancellationToken callerToken)
    {
        var call = t_idle;
        if (call is null)
        {
            call = new CallState(timeProvider);
        }
        else
        {
            t_idle = null;
            call.Attempts = new();
        }

        call._timeProvider = timeProvider;
        call.RetryBudget = retryBudget;
        call.CallerToken = callerToken;
        call.StartTimestamp = timeProvider.GetTimestamp();
        call.HasDeadline = deadline != Timeout.InfiniteTimeSpan;
        call.Deadline = deadline;
        call.Messages = messages;
        call.Activity = null;
        call.AttemptsStarted = 0;
        call.LastFailure = null;
        call.LastFailedProvider = null;
        return call;
    }

    /// <summary>
    /// Makes a finished call this thread's idle one. Only for a call nothing refers to any more (the answer keeps
    /// <see cref="Attempts"/>, never the call): everything but the clock is reset to a new call's state.
    /// </summary>
    public void Recycle()
    {
        CallerToken = default;
        Messages = [];
        Options = null;
        ContextFloor = null;
        Plan = null;
        Spent = 0m;
        PromptBound = long.MinValue;
        LastException = null;
        Activity = null;
        LastFailedProvider = null;
        Notes?.Clear();
        _started = false;
        t_idle = this;
    }

    /// <summary>Gets or sets the call's span, the parent of its attempts' spans.</summary>
    public System.Diagnostics.Activity? Activity { get; set; }

    /// <summary>Gets or sets how many attempts have started a span (the next attempt's index).</summary>
    public int AttemptsStarted { get; set; }

    /// <summary>Gets or sets the failure kind of the call's last failed attempt (a racer's are its race's).</summary>
    public FailureKind? LastFailure { get; set; }

    /// <summary>Gets or sets the provider of the call's last failed attempt.</summary>
    public string? LastFailedProvider { get; set; }

    /// <summary>Gets the caller's messages.</summary>
    public IEnumerable<ChatMessage> Messages { get; private set; }

    /// <summary>Gets or sets the caller's options with every SkFallback key removed (what providers see).</summary>
    public ChatOptions? Options { get; set; }

    public AttemptList Attempts { get; private set; } = new();

    public int RetryBudget { get; set; }

    public CancellationToken CallerToken { get; private set; }

    public long StartTimestamp { get; private set; }

    public bool HasDeadline { get; private set; }

    public TimeSpan Deadline { get; private set; }

    /// <summary>Gets or sets the context window of a provider that was too small; providers not larger are skipped.</summary>
    public int? ContextFloor { get; set; }

    /// <summary>Gets or sets an upper bound on the prompt tokens of any family (-1 when it cannot be bounded cheaply; <see cref="long.MinValue"/> before it is computed).</summary>
    public long PromptBound { get; set; } = long.MinValue;

    /// <summary>Gets or sets the routing and budget view of the call, when it has one.</summary>
    public CallPlan? Plan { get; set; }

    /// <summary>Gets the request as routing sees it, when the call was planned or estimated.</summary>
    public RoutingRequest? Routing => Plan?.Routing;

    /// <summary>Gets or sets what the call has been charged so far.</summary>
    public decimal Spent { get; set; }

    /// <summary>Gets or sets the last exception a provider threw, kept as the inner exception when the chain gives up.</summary>
    public Exception? LastException { get; set; }

    /// <summary>Gets or sets, with the event log on, what the log needs of attempts beyond their records (kept with a reused call).</summary>
    public List<Events.AttemptNote>? Notes { get; set; }

    public TimeSpan Elapsed => _timeProvider.GetElapsedTime(StartTimestamp);

    /// <summary>Time left before the deadline (<see cref="Timeout.InfiniteTimeSpan"/> without one; never negative).</summary>
    public TimeSpan Remaining => RemainingAt(_timeProvider.GetTimestamp());

    public bool DeadlinePassed => DeadlinePassedAt(_timeProvider.GetTimestamp());

    /// <summary>Gets the call's plan, making an empty one when it has none.</summary>
    public CallPlan EnsurePlan() => Plan ??= new();

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

    /// <summary>The time from the call's start to <paramref name="timestamp"/>, without reading the clock.</summary>
    public TimeSpan ElapsedAt(long timestamp) => _timeProvider.GetElapsedTime(StartTimestamp, timestamp);

    public bool DeadlinePassedAt(long timestamp) => HasDeadline && ElapsedAt(timestamp) >= Deadline;

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
}
