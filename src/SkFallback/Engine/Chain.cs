using Microsoft.Extensions.AI;
using SkFallback.CircuitBreaking;
using SkFallback.Cost;
using SkFallback.Diagnostics;
using SkFallback.Engine.Admission;
using SkFallback.Judging;
using SkFallback.Routing;
using SkFallback.Streaming;

namespace SkFallback.Engine;

/// <summary>How a chain's streams commit and continue (copied from <see cref="StreamingOptions"/> when the chain is built).</summary>
internal readonly record struct StreamSettings(StreamingMode Mode, int CommitChunks, TimeSpan CommitDelay, bool ContinueAfterCommit);

/// <summary>
/// One built chain, immutable: its providers and the parts every call uses (admission rules, judge, recorder, retry
/// decider, cost meter, planner). The runners hold no state of their own beyond a call's.
/// </summary>
internal sealed class Chain : IDisposable
{
    public required ChainProvider[] Providers { get; init; }

    public required TimeProvider Time { get; init; }

    public required ChainTelemetry Telemetry { get; init; }

    public required OutcomeJudge Judge { get; init; }

    public required SecretRedactor Redactor { get; init; }

    public required AttemptTokenSourcePool TokenSources { get; init; }

    public required TokenEstimator Tokens { get; init; }

    public required RetryDecider Retry { get; init; }

    public required AttemptRecorder Recorder { get; init; }

    public required CostMeter Cost { get; init; }

    public required CallPlanner Planner { get; init; }

    public required ChainFailures Failures { get; init; }

    public required AdmissionRules Admission { get; init; }

    public required StreamSettings Streaming { get; init; }

    /// <summary>Gets the chain's hedging options (read per call, as configured).</summary>
    public required HedgingOptions Hedging { get; init; }

    public required HedgeBudget HedgeBudget { get; init; }

    public required PriceCatalog Catalog { get; init; }

    public required ChatClientMetadata Metadata { get; init; }

    public required int RetryBudget { get; init; }

    public required TimeSpan Deadline { get; init; }

    public required StallDetectorPool StallDetectors { get; init; }

    public ProviderStateSync? StateSync { get; init; }

    /// <summary>Gets the chain's side of the fallback-event log, when it is on.</summary>
    public Events.EventCapture? Events { get; init; }

    /// <summary>A new call of this chain.</summary>
    public CallState NewCall(IEnumerable<ChatMessage> messages, CancellationToken callerToken) =>
        CallState.Rent(Time, RetryBudget, Deadline, messages, callerToken);

    /// <summary>The walk over this chain's providers for a planned call.</summary>
    public CandidateWalk Walk(CallState call, int preferred) => new(Providers, Admission, call, preferred);

    /// <summary>Starts an attempt at <paramref name="provider"/> (and its span, unless the deadline passed before it).</summary>
    public Attempt Begin(CallState call, ChainProvider provider, bool probe, int retry, Hedging.RaceSlot? slot = null, bool streaming = false, bool continuation = false)
    {
        var attempt = Attempt.Begin(call, provider, probe, retry, TokenSources, slot?.Token ?? call.CallerToken);
        if (slot is not null)
        {
            attempt.Reservation = slot.Reservation;
        }

        if (!attempt.DeadlinePassed)
        {
            attempt.Span = Telemetry.Attempts.Start(call, attempt, slot, streaming, continuation);
        }

        return attempt;
    }

    /// <summary>Holds the tenant's budget for an attempt at <paramref name="provider"/>; a provider it cannot hold is skipped (and recorded so).</summary>
    public bool Reserve(CallState call, ChainProvider provider, out SpendReservation? reservation)
    {
        if (Cost.TryReserve(call, provider, out reservation, out var refusal))
        {
            return true;
        }

        Recorder.Skipped(call, provider, FailureKind.BudgetExceeded, refusal!);
        return false;
    }

    /// <summary>Arms an attempt's timer at <paramref name="timeout"/> from its start.</summary>
    public void Arm(CallState call, Attempt attempt, TimeSpan timeout)
    {
        attempt.Arm(call, timeout, Time);
        attempt.Armed = true;
    }

    /// <summary>Ends an attempt; an abandoned one (the caller left, or the deadline passed before it began) is charged what it used.</summary>
    public void End(CallState call, Attempt attempt, bool abandoned, FailureKind abandonedAs = FailureKind.Cancelled, Hedging.RaceSlot? slot = null)
    {
        if (abandoned)
        {
            Recorder.Abandoned(call, attempt, abandonedAs, slot);
        }

        attempt.End(TokenSources);
    }

    /// <summary>Classifies what a provider threw during an attempt; a timer that fired is a timeout, or the deadline when the deadline set it.</summary>
    public FailureClassification Classify(Exception exception, CallState call, Attempt attempt, bool contentSeen)
    {
        if (exception is OperationCanceledException && attempt.Source.IsCancellationRequested)
        {
            // Timers may fire a hair early: when the deadline set the timer, the deadline is what fired.
            if (attempt.DeadlineBinds || call.DeadlinePassed)
            {
                return new(FailureKind.DeadlineExceeded, null, null, $"the chain's deadline of {call.Deadline.TotalMilliseconds:0} ms passed");
            }

            return contentSeen
                ? new(FailureKind.Timeout, null, null, "the attempt timed out")
                : new(FailureKind.FirstTokenTimeout, null, null, "no content before the first-token timeout");
        }

        return FailureClassifier.Classify(exception, attempt.Exchange, Redactor, Time.GetUtcNow());
    }

    public void Dispose()
    {
        StateSync?.Dispose();
        StallDetectors.Dispose();
        Telemetry.Dispose();
        foreach (var provider in Providers)
        {
            provider.Dispose();
        }
    }
}
