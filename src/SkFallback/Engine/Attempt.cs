using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Providers;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>
/// One attempt at one provider, and everything that belongs to it alone: its clock and timeout source, the caller
/// link, the HTTP observation, the usage it reported, the tenant budget it holds and what it was charged. Each racer
/// of a hedged call owns one, so attempts never share state through the call.
/// </summary>
/// <remarks>
/// Reused: one spare per thread. <see cref="Begin"/> takes it, <see cref="End"/> gives back the timeout source when
/// the attempt stops, <see cref="Release"/> gives back the object once its outcome has been applied.
/// </remarks>
internal sealed class Attempt
{
    [ThreadStatic]
    private static Attempt? t_spare;

    private CancellationTokenRegistration _registration;

    private Attempt(ChainProvider provider, CancellationTokenSource source)
    {
        Provider = provider;
        Source = source;
    }

    public ChainProvider Provider { get; private set; }

    /// <summary>Gets a value indicating whether the attempt is its breaker's half-open probe.</summary>
    public bool Probe { get; private set; }

    /// <summary>Gets the retry of its provider this attempt is (0 for the first try).</summary>
    public int Retry { get; private set; }

    /// <summary>Gets the timestamp the attempt started at.</summary>
    public long Start { get; private set; }

    /// <summary>Gets the source that cancels the attempt: its timer, the caller (linked), a race it lost.</summary>
    public CancellationTokenSource Source { get; private set; }

    /// <summary>Gets what cancels the attempt from outside (the caller, or the race a racer runs in); its cancellation is thrown, never classified.</summary>
    public CancellationToken CallerToken { get; private set; }

    /// <summary>Gets the HTTP exchange the provider's handler reports into, when the chain owns its HTTP client.</summary>
    public HttpExchange? Exchange { get; private set; }

    /// <summary>Gets a value indicating whether the chain's deadline had passed before the attempt began.</summary>
    public bool DeadlinePassed { get; private set; }

    /// <summary>Gets a value indicating whether the attempt's timer was set by the chain's deadline rather than its own timeout.</summary>
    public bool DeadlineBinds { get; private set; }

    /// <summary>Gets or sets a value indicating whether the attempt's timer is set (only an attempt that waits is timed).</summary>
    public bool Armed { get; set; }

    /// <summary>Gets or sets the usage the provider reported.</summary>
    public UsageDetails? Usage { get; set; }

    /// <summary>Gets or sets the attempt's span, until it ends (none when nobody listens).</summary>
    public System.Diagnostics.Activity? Span { get; set; }

    /// <summary>Gets or sets a value indicating whether the attempt's end has been reported to telemetry (once, at its first outcome).</summary>
    public bool Reported { get; set; }

    /// <summary>Gets or sets the model the provider said answered.</summary>
    public string? ResponseModel { get; set; }

    /// <summary>Gets or sets the finish reason of the attempt's answer.</summary>
    public ChatFinishReason? FinishReason { get; set; }

    /// <summary>Gets or sets the tenant budget held for the attempt.</summary>
    public SpendReservation? Reservation { get; set; }

    /// <summary>Gets or sets how many updates of the attempt reached the caller (or were held), charged as output when no usage is reported.</summary>
    public long Chunks { get; set; }

    /// <summary>Gets or sets a value indicating whether the attempt has been charged.</summary>
    public bool Charged { get; set; }

    /// <summary>Gets or sets what the attempt was charged.</summary>
    public decimal Cost { get; set; }

    /// <summary>Gets or sets the priced cost of the attempt (none when its model has no catalog price).</summary>
    public decimal? PricedCost { get; set; }

    /// <summary>Gets or sets the cost estimated before dispatch, as the budget saw it.</summary>
    public decimal? Estimate { get; set; }

    /// <summary>Gets or sets the timestamp of the attempt's first content (0 before any, and for whole answers).</summary>
    public long FirstContentAt { get; set; }

    /// <summary>Gets or sets, with the event log on, the text a failed attempt wrote (what the caller got of it, or what was held).</summary>
    public string? PartialOutput { get; set; }

    /// <summary>Gets or sets, with the event log on, the provider whose broken part this attempt continues.</summary>
    public string? ContinuedFrom { get; set; }

    /// <summary>Gets or sets, with the event log on, how many characters the caller had when this continuation started.</summary>
    public int? SeamOffset { get; set; }

    /// <summary>Gets or sets, with the event log on, how this continuation was asked.</summary>
    public Streaming.ContinuationMode? ContinuationMode { get; set; }

    /// <summary>
    /// Starts an attempt: a pooled timeout source linked to the caller's token, and the HTTP observation. The timer is
    /// armed only when the provider makes the call wait (<see cref="Arm"/>).
    /// </summary>
    /// <param name="call">The call the attempt belongs to.</param>
    /// <param name="provider">The provider asked.</param>
    /// <param name="probe">Whether the attempt is its breaker's probe.</param>
    /// <param name="retry">Which retry of the provider it is.</param>
    /// <param name="sources">The pool of timeout sources.</param>
    /// <param name="cancelledBy">What cancels the attempt from outside: the caller's token, or a racer's own.</param>
    public static Attempt Begin(CallState call, ChainProvider provider, bool probe, int retry, AttemptTokenSourcePool sources, CancellationToken cancelledBy)
    {
        var start = call.NextAttemptStart(out var first);
        var source = sources.Rent();
        var attempt = t_spare;
        if (attempt is null)
        {
            attempt = new Attempt(provider, source);
        }
        else
        {
            t_spare = null;
            attempt.Provider = provider;
            attempt.Source = source;
        }

        attempt.Probe = probe;
        attempt.Retry = retry;
        attempt.Start = start;
        attempt.DeadlinePassed = !first && call.DeadlinePassedAt(start);
        attempt.CallerToken = cancelledBy;
        attempt._registration = cancelledBy.CanBeCanceled
            ? cancelledBy.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), source)
            : default;
        if (provider.ObservesHttp)
        {
            var exchange = new HttpExchange();
            HttpExchange.Current = exchange;
            attempt.Exchange = exchange;
        }

        return attempt;
    }

    /// <summary>Sets the attempt's timer to <paramref name="timeout"/> from its start, bounded by the chain's deadline.</summary>
    public void Arm(CallState call, TimeSpan timeout, TimeProvider timeProvider)
    {
        var now = timeProvider.GetTimestamp();
        var left = timeout;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            left = timeout - timeProvider.GetElapsedTime(Start, now);
            if (left <= TimeSpan.Zero)
            {
                left = TimeSpan.FromTicks(1);
            }
        }

        var remaining = call.RemainingAt(now);
        if (remaining == TimeSpan.Zero)
        {
            remaining = TimeSpan.FromTicks(1);
        }

        DeadlineBinds = remaining != Timeout.InfiniteTimeSpan && (left == Timeout.InfiniteTimeSpan || remaining <= left);
        Source.CancelAfter(DeadlineBinds ? remaining : left);
    }

    /// <summary>The flow that started the attempt gives up its HTTP observation (the provider's flow keeps it).</summary>
    public void LeaveExchange()
    {
        if (Exchange is not null)
        {
            HttpExchange.Current = null;
        }
    }

    /// <summary>Ends the attempt: the provider's rate-limit headers are kept, the caller link and the timeout source given back.</summary>
    public void End(AttemptTokenSourcePool sources)
    {
        if (Exchange is { } exchange)
        {
            Provider.RateLimit.Update(exchange.RemainingTokens, exchange.TokensResetAt, exchange.RemainingRequests, exchange.RequestsResetAt);
            HttpExchange.Current = null;
        }

        _registration.Dispose();
        _registration = default;
        sources.Return(Source, Armed);
    }

    /// <summary>Gives the object back for the next attempt on this thread, once nothing reads it any more.</summary>
    public void Release()
    {
        // Every outcome ends the span; this only guards against one left open.
        Span?.Stop();
        Span = null;
        Reported = false;
        ResponseModel = null;
        FinishReason = null;
        Exchange = null;
        CallerToken = default;
        Armed = false;
        DeadlineBinds = false;
        Usage = null;
        Reservation = null;
        Chunks = 0;
        Charged = false;
        Cost = 0m;
        PricedCost = null;
        Estimate = null;
        FirstContentAt = 0;
        PartialOutput = null;
        ContinuedFrom = null;
        SeamOffset = null;
        ContinuationMode = null;
        t_spare = this;
    }
}
