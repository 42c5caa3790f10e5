using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SkFallback.CircuitBreaking;
using SkFallback.Cost;
using SkFallback.Diagnostics;
using SkFallback.Hedging;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>
/// The one place an attempt's outcome is applied: the provider's breaker, health and cooldown, the call's attempt
/// list, the charge, telemetry and the log. The runners decide what happens next; they never apply outcomes themselves.
/// </summary>
internal sealed class AttemptRecorder
{
    private readonly ChainTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly CostMeter _cost;
    private readonly ProviderStateSync? _sync;
    private readonly TimeSpan _defaultCooldown;

    public AttemptRecorder(ChainTelemetry telemetry, ILogger logger, TimeProvider timeProvider, CostMeter cost, ProviderStateSync? sync, TimeSpan defaultCooldown)
    {
        _telemetry = telemetry;
        _logger = logger;
        _timeProvider = timeProvider;
        _cost = cost;
        _sync = sync;
        _defaultCooldown = defaultCooldown;
    }

    /// <summary>Gets the chain's side of the fallback-event log, when it is on: told of every attempt's outcome.</summary>
    public Events.EventCapture? Events { get; init; }

    /// <summary>A good answer: the provider is healthy, the attempt is listed and charged (<paramref name="output"/> counts its output when no usage was reported).</summary>
    public void Succeeded(CallState call, Attempt attempt, Activity? activity, long output)
    {
        var provider = attempt.Provider;
        var end = _timeProvider.GetTimestamp();
        var elapsed = _timeProvider.GetElapsedTime(attempt.Start, end);
        provider.Breaker?.OnSuccess();
        provider.Health.Record(elapsed, FailureKind.None, default);
        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.None, null, elapsed, attempt.Retry));
        _telemetry.RecordAttempt(provider.Name, provider.Model, FailureKind.None, elapsed);
        _telemetry.RecordCall(provider.Name, FailureKind.None, call.ElapsedAt(end));
        Log.Answered(_logger, provider.Name, provider.Model, elapsed.TotalMilliseconds, call.Attempts.Count);
        var usage = attempt.Usage;
        call.Spent += _cost.Charge(call, attempt, FailureKind.None, 200, output);
        _telemetry.Attempts.Succeeded(attempt, usage, elapsed);
        if (activity is not null)
        {
            activity.SetTag(FallbackTelemetry.ProviderTag, provider.Name);
            activity.SetTag(FallbackTelemetry.ModelTag, provider.Model);
            activity.SetTag(FallbackTelemetry.AttemptCountTag, call.Attempts.Count);
            if (attempt.PricedCost is not null)
            {
                activity.SetTag(FallbackTelemetry.CostTag, (double)call.Spent);
            }
        }

        if (Events is not null)
        {
            SkFallback.Events.EventCapture.Note(call, call.Attempts[^1], attempt);
        }
    }

    /// <summary>
    /// A failed attempt: health and breaker, the attempt listed (in the racer's own list when <paramref name="slot"/> is
    /// set, joined by the race later) and charged, a rate limit's cooldown (shared with other replicas), and the
    /// context window a context-length error showed too small.
    /// </summary>
    public void Failed(CallState call, Attempt attempt, FailureClassification failure, RaceSlot? slot = null)
    {
        var provider = attempt.Provider;
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

        var record = new FallbackAttempt(provider.Name, provider.Model, failure.Kind, failure.StatusCode, elapsed, attempt.Retry, failure.Detail);
        var usage = attempt.Usage;
        var cost = _cost.Charge(call, attempt, failure.Kind, failure.StatusCode, attempt.Chunks);
        if (slot is null)
        {
            call.Attempts.Add(record);
            call.Spent += cost;
            call.LastFailure = failure.Kind;
            call.LastFailedProvider = provider.Name;
        }
        else
        {
            slot.Records.Add(record);
            slot.Spent += cost;
        }

        if (Events is not null)
        {
            SkFallback.Events.EventCapture.Note(call, record, attempt);
        }
        _telemetry.RecordAttempt(provider.Name, provider.Model, failure.Kind, elapsed);
        _telemetry.Attempts.Failed(attempt, usage, failure.Kind, failure.StatusCode, elapsed);
        Log.AttemptFailed(_logger, provider.Name, provider.Model, failure.Kind, failure.StatusCode, elapsed.TotalMilliseconds, failure.Detail);
        call.Activity?.AddEvent(new ActivityEvent("skfallback.attempt_failed", tags: new ActivityTagsCollection
        {
            [FallbackTelemetry.ProviderTag] = provider.Name,
            [FallbackTelemetry.ReasonTag] = FallbackTelemetry.OutcomeName(failure.Kind),
            ["http.response.status_code"] = failure.StatusCode,
        }));

        if (failure.Kind == FailureKind.RateLimited)
        {
            CoolDown(provider, failure.RetryAfter ?? _defaultCooldown);
        }

        if (failure.Kind == FailureKind.ContextLengthExceeded && provider.ContextWindow is int window)
        {
            // A racer's floor reaches the call when its race takes its records in, as the rest of what it learned.
            if (slot is null)
            {
                call.ContextFloor = Math.Max(call.ContextFloor ?? 0, window);
            }
            else
            {
                slot.ContextFloor = Math.Max(slot.ContextFloor ?? 0, window);
            }
        }
    }

    /// <summary>The caller left mid-attempt (or the deadline passed before it began): a probe hands over, and the provider still charges what it processed.</summary>
    public void Abandoned(CallState call, Attempt attempt, FailureKind kind, RaceSlot? slot = null)
    {
        if (attempt.Probe)
        {
            attempt.Provider.Breaker?.OnAbandoned(probe: true);
        }

        var usage = attempt.Usage;
        var cost = _cost.Charge(call, attempt, kind, null, attempt.Chunks);
        if (slot is null)
        {
            call.Spent += cost;
        }
        else
        {
            slot.Spent += cost;
        }

        _telemetry.Attempts.Failed(attempt, usage, kind, null, _timeProvider.GetElapsedTime(attempt.Start));
    }

    /// <summary>A race's loser ended before it saw its cancellation: an answer is billed by its provider, a failure by its kind; its cost is the racer's, never the call's.</summary>
    public void LostLate(CallState call, Attempt attempt, FailureClassification? failure, RaceSlot slot)
    {
        if (failure is not { } failed)
        {
            attempt.Provider.Breaker?.OnSuccess();
            slot.Spent += _cost.Charge(call, attempt, FailureKind.Cancelled, 200, 0);
            AttemptTelemetry.Unused(attempt);
            return;
        }

        attempt.Provider.Breaker?.OnAbandoned(attempt.Probe);
        var usage = attempt.Usage;
        slot.Spent += _cost.Charge(call, attempt, failed.Kind, failed.StatusCode, 0);
        _telemetry.Attempts.Failed(attempt, usage, failed.Kind, failed.StatusCode, _timeProvider.GetElapsedTime(attempt.Start));
    }

    /// <summary>A race's racer still running when the race ended: listed as cancelled (it is charged when it stops).</summary>
    public void Cancelled(CallState call, ChainProvider provider, TimeSpan elapsed, string reason)
    {
        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.Cancelled, null, elapsed, Detail: reason));
        Log.RacerCancelled(_logger, provider.Name, provider.Model, reason);
    }

    /// <summary>A provider passed over without a request.</summary>
    public void Skipped(CallState call, ChainProvider provider, FailureKind kind, string detail) =>
        Skipped(call, provider.Name, provider.Model, kind, detail);

    /// <summary>A provider passed over without a request.</summary>
    public void Skipped(CallState call, string provider, string model, FailureKind kind, string detail)
    {
        call.Attempts.Add(new(provider, model, kind, null, TimeSpan.Zero, Detail: detail, Skipped: true));
        Log.Skipped(_logger, provider, model, kind, detail);
    }

    public void Retrying(ChainProvider provider, TimeSpan delay, FailureKind kind, int retry, int budgetLeft) =>
        Log.Retrying(_logger, provider.Name, delay.TotalMilliseconds, kind, retry, budgetLeft);

    public void NotFallingBack(ChainProvider provider, FailureKind kind) => Log.NotFallingBack(_logger, provider.Name, kind);

    /// <summary>The call moves on from <paramref name="provider"/> (to <paramref name="next"/>, when the walk knows it).</summary>
    public void FallingBack(ChainProvider provider, FailureKind kind, string? next)
    {
        _telemetry.RecordFallback(provider.Name, kind);
        if (next is not null)
        {
            Log.FallingBack(_logger, provider.Name, next, kind);
        }
    }

    /// <summary>A stream broke after output reached the caller: the next provider continues it.</summary>
    public void Continuing(ChainProvider provider, FailureKind kind, string? next)
    {
        _telemetry.RecordFallback(provider.Name, kind);
        Log.Continuing(_logger, provider.Name, next ?? "(none)", kind);
    }

    public void ContinuationRejected(ChainProvider provider, Streaming.ContinuationMode mode, int? statusCode) =>
        Log.ContinuationModeRejected(_logger, provider.Name, mode, statusCode);

    public void Racer(ChainProvider provider, string role, bool won) => _telemetry.RecordRacer(provider.Name, role, won);

    public void HedgeRefused(ChainProvider provider, string reason)
    {
        Log.HedgeRefused(_logger, provider.Name, reason);
        _telemetry.RecordRacer(provider.Name, "refused", won: false);
    }

    public void Hedging(ChainProvider primary, TimeSpan waited, ChainProvider hedge) =>
        Log.Hedging(_logger, primary.Name, waited.TotalMilliseconds, hedge.Name);

    public void RaceWon(ChainProvider winner, int racers) => Log.RaceWon(_logger, winner.Name, racers);

    /// <summary>The call ended without an answer.</summary>
    public void CallFailed(FailureKind kind, TimeSpan elapsed) => _telemetry.RecordCall(null, kind, elapsed);

    private void CoolDown(ChainProvider provider, TimeSpan cooldown)
    {
        var until = _timeProvider.GetUtcNow() + cooldown;
        provider.CoolDownUntil(until);
        _sync?.PublishCooldown(provider, until);
        Log.CoolingDown(_logger, provider.Name, cooldown.TotalMilliseconds);
    }
}
