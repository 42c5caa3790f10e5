using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Engine;

namespace SkFallback.Events;

/// <summary>
/// One chain's side of the event log. During a call it keeps references only (the call's messages, the attempts'
/// records and a note per attempt that is not the lone first one); when the call ends it makes the one sampling draw
/// from the outcome, and only a sampled call's messages and answer are copied into an event and queued.
/// </summary>
internal sealed class EventCapture(FallbackEventLog log, SecretRedactor secrets)
{
    private readonly TimeProvider _time = log.Time;

    /// <summary>Keeps what an attempt's record lacks. A call's lone first attempt that answered whole needs none: the event derives it.</summary>
    public static void Note(CallState call, FallbackAttempt record, Attempt attempt)
    {
        if (record.Succeeded && call.Attempts.Count == 1 && call.Notes is not { Count: > 0 } && attempt.FirstContentAt == 0)
        {
            return;
        }

        var note = new AttemptNote(record, attempt.Start, attempt.FirstContentAt, attempt.Charged ? attempt.Cost : null,
            attempt.PartialOutput, attempt.ContinuedFrom, attempt.SeamOffset, attempt.ContinuationMode);
        // Racers note from their own flows.
        lock (call)
        {
            (call.Notes ??= []).Add(note);
        }
    }

    /// <summary>A whole answer.</summary>
    public void Answered(CallState call, ChatResponse response)
    {
        var outcome = AnsweredOutcome(call, continued: false);
        if (Sampled(call, outcome) is double rate)
        {
            Queue(call, outcome, rate, streaming: false, EventMessages.Of(response), null, Winner(call));
        }
    }

    /// <summary>A streamed answer, from the updates the caller received.</summary>
    public void StreamAnswered(CallState call, ReadOnlySpan<ChatResponseUpdate> delivered, UsageDetails? usage, bool continued)
    {
        var outcome = AnsweredOutcome(call, continued);
        if (Sampled(call, outcome) is double rate)
        {
            Queue(call, outcome, rate, streaming: true, EventMessages.Of(delivered, usage), null, Winner(call));
        }
    }

    /// <summary>A call that got no answer (or whose caller left); a stream's <paramref name="delivered"/> is what reached the caller before.</summary>
    public void Ended(CallState call, Exception? exception, bool streaming, ReadOnlySpan<ChatResponseUpdate> delivered = default)
    {
        var outcome = FailedOutcome(call, exception);
        if (Sampled(call, outcome) is not double rate)
        {
            return;
        }

        var response = delivered.IsEmpty ? null : EventMessages.Of(delivered, null);
        var error = new FallbackEventError
        {
            Type = exception?.GetType().Name ?? "StreamAbandoned",
            Message = exception?.Message ?? "The caller stopped reading the stream before its end.",
            OutputCommitted = exception is FallbackExhaustedException { OutputCommitted: true } || !delivered.IsEmpty,
        };
        Queue(call, outcome, rate, streaming, response, error, null);
    }

    internal static FallbackEventOutcome AnsweredOutcome(CallState call, bool continued)
    {
        if (continued)
        {
            return FallbackEventOutcome.Continued;
        }

        var attempts = call.Attempts;
        if (attempts.Count == 1)
        {
            return FallbackEventOutcome.Answered;
        }

        // Racers still running when the race ended are listed as cancelled.
        return attempts.Exists(a => a.Outcome == FailureKind.Cancelled && !a.Skipped) ? FallbackEventOutcome.Hedged : FallbackEventOutcome.FellBack;
    }

    internal static FallbackEventOutcome FailedOutcome(CallState call, Exception? exception)
    {
        if (exception is null or OperationCanceledException)
        {
            return FallbackEventOutcome.Cancelled;
        }

        if (exception is BudgetExceededException || LastFailure(call) == FailureKind.Refusal)
        {
            return FallbackEventOutcome.Refused;
        }

        return exception is FallbackExhaustedException ? FallbackEventOutcome.Exhausted : FallbackEventOutcome.Failed;
    }

    private static FallbackAttempt? Winner(CallState call)
    {
        FallbackAttempt? winner = null;
        foreach (var attempt in call.Attempts)
        {
            winner = attempt.Succeeded ? attempt : winner;
        }

        return winner;
    }

    private static FailureKind LastFailure(CallState call)
    {
        var last = FailureKind.None;
        foreach (var attempt in call.Attempts)
        {
            last = !attempt.Skipped && attempt.Outcome is not FailureKind.None and not FailureKind.Cancelled ? attempt.Outcome : last;
        }

        return last;
    }

    /// <summary>The call's one draw: the rate it was sampled at, or <see langword="null"/> when it is not logged.</summary>
    private double? Sampled(CallState call, FallbackEventOutcome outcome)
    {
        var rate = log.Sampler.RateOf(outcome, call.Plan?.Tenant);
        return log.Sampler.Draw(rate) ? rate : null;
    }

    private void Queue(CallState call, FallbackEventOutcome outcome, double rate, bool streaming, FallbackEventResponse? response, FallbackEventError? error, FallbackAttempt? answered)
    {
        var end = _time.GetTimestamp();
        var duration = call.ElapsedAt(end);
        var started = _time.GetUtcNow() - duration;
        var raw = new FallbackEvent
        {
            Id = Guid.CreateVersion7(started).ToString("N"),
            Time = started,
            DurationMs = duration.TotalMilliseconds,
            Outcome = outcome,
            SampleRate = rate,
            Tenant = call.Plan?.Tenant,
            Labels = Labels(call),
            Streaming = streaming,
            Provider = answered?.Provider,
            Model = answered?.Model,
            CostUsd = call.Spent > 0 ? call.Spent : null,
            Request = EventMessages.Of(call.Messages),
            Response = response,
            Error = error,
            Attempts = Attempts(call),
        };
        log.Enqueue(raw, secrets);
    }

    private FallbackEventAttempt[] Attempts(CallState call)
    {
        var records = call.Attempts;
        var notes = call.Notes;
        var attempts = new FallbackEventAttempt[records.Count];
        for (var i = 0; i < attempts.Length; i++)
        {
            var record = records[i];
            AttemptNote? note = null;
            if (notes is not null)
            {
                lock (call)
                {
                    var found = notes.FindIndex(n => ReferenceEquals(n.Record, record));
                    note = found >= 0 ? notes[found] : null;
                }
            }

            attempts[i] = Attempt(call, record, note, lone: attempts.Length == 1);
        }

        return attempts;
    }

    private FallbackEventAttempt Attempt(CallState call, FallbackAttempt record, AttemptNote? note, bool lone)
    {
        double? start = note is { } n ? Ms(call.ElapsedAt(n.Start)) : lone && !record.Skipped ? 0 : null;
        double? firstChunk = note is { FirstContentAt: > 0 } f ? Ms(_time.GetElapsedTime(f.Start, f.FirstContentAt)) : null;
        return new FallbackEventAttempt
        {
            Provider = record.Provider,
            Model = record.Model,
            Reason = record.Outcome,
            StatusCode = record.StatusCode,
            Retry = record.Retry,
            Skipped = record.Skipped,
            StartMs = start,
            ElapsedMs = Ms(record.Elapsed),
            FirstChunkMs = firstChunk,
            CostUsd = note?.Cost ?? (lone && call.Spent > 0 ? call.Spent : null),
            Detail = record.Detail,
            PartialOutput = note?.Partial,
            ContinuedFrom = note?.ContinuedFrom,
            SeamOffset = note?.SeamOffset,
            ContinuationMode = note?.Mode?.ToString(),
        };
    }

    private static double Ms(TimeSpan span) => Math.Round(span.TotalMilliseconds, 3);

    private static Dictionary<string, string>? Labels(CallState call)
    {
        if (call.Plan?.Routing?.Options?.AdditionalProperties is not { } properties
            || !properties.TryGetValue(FallbackMetadataKeys.EventLabels, out var value) || value is not IEnumerable<KeyValuePair<string, string>> labels)
        {
            return null;
        }

        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, text) in labels)
        {
            copy[name] = text;
        }

        return copy;
    }
}
