using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Engine;
using SkFallback.Hedging;
using SkFallback.Judging;
using SkFallback.Routing;

namespace SkFallback.Streaming;

/// <summary>
/// What is done to one provider's stream: opening it and holding its first updates until commit, the timers a wait
/// arms, classifying what it throws, and closing it.
/// </summary>
internal static class ProviderStream
{
    /// <summary>
    /// Starts a streaming attempt at <paramref name="provider"/> holding <paramref name="reservation"/>; when the chain's
    /// deadline has passed, the attempt ends at once and the call's failure is thrown.
    /// </summary>
    public static StreamAttempt Begin(Chain chain, CallState call, ChainProvider provider, bool probe, int retry, SpendReservation? reservation, bool committed, Activity? activity)
    {
        var attempt = chain.Begin(call, provider, probe, retry, streaming: true, continuation: committed);
        attempt.Reservation = reservation;
        if (attempt.DeadlinePassed)
        {
            chain.End(call, attempt, abandoned: true, FailureKind.DeadlineExceeded);
            throw committed
                ? chain.Failures.StopWith(call, activity, new(FailureKind.DeadlineExceeded, null, null, "deadline"), outputCommitted: true)
                : chain.Failures.Exhausted(call, activity, deadline: true);
        }

        return StreamAttempt.Rent(attempt, committed);
    }

    /// <summary>
    /// Opens the provider's stream and, unless the attempt starts committed (a continuation), holds its first updates
    /// until the commit buffer has enough, the stream ends, or it fails. A stream that ended is judged here: truncated
    /// (no finish reason) or a refusal are failures. The cancellation of whoever started it (the caller, or a race) is thrown.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask FillAsync(Chain chain, CallState call, StreamAttempt s, IEnumerable<ChatMessage> messages, ChatOptions? options, StreamRules rules, RaceSlot? slot = null)
    {
        var provider = s.Provider;
        var attempt = s.Attempt;
        var cancelled = attempt.CallerToken;
        if (attempt.Span is { } span)
        {
            // Current for the rest of this method only (an async method gives its caller's back): the request's own spans nest under the attempt's.
            chain.Telemetry.Attempts.Enter(span, messages);
        }

        IAsyncEnumerator<ChatResponseUpdate> stream;
        try
        {
            stream = provider.Client.GetStreamingResponseAsync(messages, options, attempt.Source.Token).GetAsyncEnumerator(attempt.Source.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancelled.IsCancellationRequested)
        {
            Fail(chain, call, s, ex, slot);
            return;
        }

        s.Stream = stream;
        if (s.Committed)
        {
            return;
        }

        while (true)
        {
            bool more;
            try
            {
                var next = stream.MoveNextAsync();
                if (!next.IsCompleted)
                {
                    BeforeWait(chain, call, s);
                }

                more = await next.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancelled.IsCancellationRequested)
            {
                Fail(chain, call, s, ex, slot);
                return;
            }

            if (!more)
            {
                s.Ended = true;
                s.Failure = chain.Judge.JudgeEnd(s.Finished, provider.RequireFinishReason, committed: false, s.Pending);
                return;
            }

            if (Hold(chain, call, s, stream.Current, rules))
            {
                return;
            }
        }
    }

    /// <summary>The stream makes the attempt wait: the first wait arms the attempt's timer, the first after content starts the stall watch.</summary>
    public static void BeforeWait(Chain chain, CallState call, StreamAttempt s)
    {
        var provider = s.Provider;
        var attempt = s.Attempt;
        if (!attempt.Armed)
        {
            chain.Arm(call, attempt, s.ContentSeen ? provider.AttemptTimeout : Min(provider.FirstTokenTimeout, provider.AttemptTimeout));
        }

        if (s.Stall is null && s.ContentSeen && provider.StallTimeout != Timeout.InfiniteTimeSpan)
        {
            s.Stall = chain.StallDetectors.Rent();
            s.Stall.Start(attempt.Source, provider.StallLimit(), provider.Gaps, provider.AdaptiveStallLimit);
        }
    }

    /// <summary>Classifies what the stream threw: a stall the watch caught, a timeout, or the provider's error.</summary>
    public static void Fail(Chain chain, CallState call, StreamAttempt s, Exception ex, RaceSlot? slot = null)
    {
        s.Failure = s.Stall is { Tripped: true }
            ? Stalled(s.Stall)
            : chain.Classify(ex, call, s.Attempt, s.ContentSeen);
        if (slot is null)
        {
            call.LastException = ex;
        }
        else
        {
            slot.LastException = ex;
        }
    }

    /// <summary>
    /// Ends a streaming attempt: stops the stall watch (a stall it caught names the failure), tears the provider's
    /// stream down before its timeout source is reused, and ends the attempt (an abandoned one is charged).
    /// </summary>
    public static async ValueTask CloseAsync(Chain chain, CallState call, StreamAttempt s, bool abandoned, RaceSlot? slot = null)
    {
        if (s.Stall is { } stall)
        {
            s.Stall = null;
            if (stall.Stop() && s.Failure is { Kind: not FailureKind.Stalled })
            {
                s.Failure = Stalled(stall);
            }

            chain.StallDetectors.Return(stall);
        }

        var attempt = s.Attempt;
        if (s.Stream is { } stream)
        {
            s.Stream = null;
            if ((s.Failure is not null || abandoned) && !attempt.Source.IsCancellationRequested)
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

        chain.End(call, attempt, abandoned, FailureKind.Cancelled, slot);
    }

    /// <summary>Keeps the usage a provider reports at the end of its stream (with or after the finish reason).</summary>
    public static void CaptureUsage(Attempt attempt, ChatResponseUpdate update)
    {
        var contents = update.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is UsageContent usage)
            {
                attempt.Usage = usage.Details;
            }
        }

        attempt.FinishReason ??= update.FinishReason;
        attempt.ResponseModel ??= update.ModelId;
    }

    /// <summary>First content arrived: its time is recorded, and from here the attempt's total timeout applies.</summary>
    public static void OnFirstContent(Chain chain, CallState call, StreamAttempt s, long at)
    {
        s.ContentSeen = true;
        var attempt = s.Attempt;
        attempt.FirstContentAt = at;
        var elapsed = chain.Time.GetElapsedTime(attempt.Start, at);
        s.Provider.Health.RecordFirstToken(elapsed);
        chain.Telemetry.Attempts.FirstChunk(attempt, elapsed);
        if (attempt.Armed)
        {
            chain.Arm(call, attempt, s.Provider.AttemptTimeout);
        }
    }

    /// <summary>Holds one update before commit; whether the attempt's fill is over (ready to commit, or a refusal).</summary>
    private static bool Hold(Chain chain, CallState call, StreamAttempt s, ChatResponseUpdate update, StreamRules rules)
    {
        s.Stall?.OnChunk();
        var verdict = s.Pending.Add(update, chain.Judge, rules.DetectRefusal, rules.ProbeLength, out var hasContent);
        if (s.Finished || update.FinishReason is not null)
        {
            s.Finished = true;
            CaptureUsage(s.Attempt, update);
        }

        if (hasContent && !s.ContentSeen)
        {
            s.FirstContentAt = chain.Time.GetTimestamp();
            OnFirstContent(chain, call, s, s.FirstContentAt);
        }

        if (verdict != FailureKind.None)
        {
            s.Failure = OutcomeJudge.HeldRefusal(verdict);
            return true;
        }

        var settings = chain.Streaming;
        if (!rules.BufferWhole && s.Pending.ReadyToCommit(rules.ProbeLength)
            && s.Pending.HeldEnough(settings.CommitChunks, settings.CommitDelay, settings.CommitChunks == 0 ? TimeSpan.MaxValue : chain.Time.GetElapsedTime(s.FirstContentAt)))
        {
            s.Ready = true;
            return true;
        }

        return false;
    }

    private static FailureClassification Stalled(StreamStallDetector stall) =>
        new(FailureKind.Stalled, null, null, $"no update for {stall.QuietFor.TotalMilliseconds:0} ms (stall limit {stall.StallTimeout.TotalMilliseconds:0} ms)");

    private static TimeSpan Min(TimeSpan a, TimeSpan b)
    {
        if (a == Timeout.InfiniteTimeSpan)
        {
            return b;
        }

        return b == Timeout.InfiniteTimeSpan || a < b ? a : b;
    }
}
