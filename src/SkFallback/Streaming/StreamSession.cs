using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Engine;
using SkFallback.Hedging;
using SkFallback.Routing;

namespace SkFallback.Streaming;

/// <summary>
/// One streamed call, as a state machine the iterator shell (<see cref="StreamRunner"/>) drives: each attempt
/// buffers until commit (switching providers unseen when it fails), then passes updates through; once output is
/// committed, a failure is continued on the next provider from exactly the text delivered, so the caller sees one answer.
/// </summary>
/// <remarks>
/// A little over 400 lines on purpose: every transition of the stream's state machine reads top to bottom here; what
/// stands alone is in <see cref="ContinuationStep"/>, <see cref="CallerDelivery"/>, <see cref="AnswerParts"/> and
/// <see cref="ProviderStream"/>.
/// Reused: one spare per thread. A stream that ran no race gives its session and its call back when it ends (nothing
/// refers to either then: the trailer holds the attempts, not the call), so a plain stream allocates neither.
/// </remarks>
internal sealed class StreamSession
{
    [ThreadStatic]
    private static StreamSession? t_spare;

    private Chain _chain;
    private CallState _call;
    private Activity? _activity;
    private StreamRules _rules;
    private HedgingMode _hedging;
    private CandidateWalk _walk;

    // What the caller has received: kept by reference so a broken stream can be continued from it.
    private CallerDelivery _delivered;
    private ContinuationStep _part;
    private bool _outputCommitted;
    private AnswerParts? _parts;

    // A race's winner: its stream is open and its first updates are held, ready to commit.
    private RaceSlot? _won;

    private ChainProvider? _provider;
    private bool _probe;
    private int _retry;
    private StreamAttempt? _current;
    private RaceSlot? _racer;
    private int _partStart;
    private bool _succeeded;

    // With the event log on: delivered updates are always kept (by reference), and how the call failed and which part broke.
    private bool _keep;
    private Exception? _failure;
    private string? _brokeFrom;

    private StreamSession(Chain chain, CallState call)
    {
        _chain = chain;
        _call = call;
    }

    /// <summary>Gets the update <see cref="ReadAsync"/> just read.</summary>
    public ChatResponseUpdate? Update { get; private set; }

    /// <summary>Gets the updates the current attempt holds, to deliver at commit.</summary>
    public int HeldCount => _current!.Pending.Count;

    /// <summary>Plans a streamed call (its keys read, its route and budgets set).</summary>
    public static StreamSession Start(Chain chain, IEnumerable<ChatMessage> messages, ChatOptions? options, Activity? activity, CancellationToken cancellationToken)
    {
        var call = chain.NewCall(messages, cancellationToken);
        call.Activity = activity;
        CallSettings settings;
        try
        {
            settings = CallSettings.Read(options, chain, streaming: true);
            chain.Planner.Plan(call, settings, options);
        }
        catch (Exception ex)
        {
            // Refused before dispatch, or a request key with a bad value.
            chain.Events?.Ended(call, ex, streaming: true);
            throw;
        }

        var session = t_spare ?? new StreamSession(chain, call);
        t_spare = null;
        session._chain = chain;
        session._call = call;
        session._activity = activity;
        session._rules = chain.Judge.RulesFor(settings.StreamingMode == StreamingMode.BufferWhole);
        session._hedging = settings.Hedging;
        session._walk = chain.Walk(call, settings.Preferred);
        session._keep = chain.Streaming.ContinueAfterCommit || chain.Events is not null;
        return session;
    }

    public ChatResponseUpdate Held(int index) => _current!.Pending[index];

    /// <summary>Runs the race of a hedged or parallel stream: its winner, if any, is the first attempt.</summary>
    public async ValueTask RaceAsync()
    {
        if (_hedging == HedgingMode.None)
        {
            return;
        }

        var race = new StreamRace(_chain, _call, _walk, _hedging, _activity, _rules);
        _won = await race.RunAsync().ConfigureAwait(false);
        _walk = race.Walk;
    }

    /// <summary>Starts the next attempt and fills it up to commit; throws the call's failure when no provider is left.</summary>
    public async ValueTask<bool> NextAttemptAsync()
    {
        while (true)
        {
            if (_provider is null && !NextPart())
            {
                throw _failure = _outputCommitted
                    ? _chain.Failures.StopWith(_call, _activity, new(_call.Attempts.Count > 0 ? _call.Attempts[^1].Outcome : FailureKind.Unknown, null, null, "no provider could continue the answer"), outputCommitted: true)
                    : _chain.Failures.Exhausted(_call, _activity, deadline: false);
            }

            var provider = _provider!;
            var racer = _won;
            _won = null;
            if (racer is not null)
            {
                // The call takes the winning racer's attempt over: from here it charges and records to the call.
                _racer = racer;
                _current = racer.Stream!;
            }
            else if (!_chain.Reserve(_call, provider, out var reservation))
            {
                _provider = null;
                continue;
            }
            else
            {
                _current = ProviderStream.Begin(_chain, _call, provider, _probe, _retry, reservation, _outputCommitted, _activity);
                if (_outputCommitted && _chain.Events is not null)
                {
                    var attempt = _current.Attempt;
                    attempt.ContinuedFrom = _brokeFrom;
                    attempt.SeamOffset = _delivered.Text().Length;
                    attempt.ContinuationMode = _part.Mode;
                }
            }

            _partStart = _delivered.Count;
            _delivered.BeginPart(continuation: _outputCommitted);
            if (racer is null)
            {
                await ProviderStream.FillAsync(_chain, _call, _current, _part.Messages, _part.ProviderOptions, _rules).ConfigureAwait(false);
            }

            return true;
        }
    }

    /// <summary>
    /// Makes the attempt's HTTP observation current in the flow that reads the stream (the iterator's): a continuation
    /// sends its request on the first read, and the handler reports its status into the exchange it finds current.
    /// </summary>
    public void ObserveExchange()
    {
        if (_current!.Attempt.Exchange is { } exchange)
        {
            Providers.HttpExchange.Current = exchange;
        }
    }

    /// <summary>The held updates may go: they are committed (annotated with their provider) and delivered.</summary>
    public bool CommitHeld()
    {
        var s = _current!;
        if (s.Failure is not null || !s.Ready)
        {
            return false;
        }

        Commit(s, keep: _keep);
        return true;
    }

    /// <summary>A short answer that ended before the buffer filled (already judged whole): it is delivered as it is.</summary>
    public bool CommitShortAnswer()
    {
        var s = _current!;
        if (s.Failure is not null || s.Committed)
        {
            return false;
        }

        Commit(s, keep: _chain.Events is not null);
        return true;
    }

    public void ClearHeld() => _current!.Pending.Clear();

    /// <summary>
    /// Reads the next update of a committed stream into <see cref="Update"/>: <see langword="false"/> when the stream
    /// ended or failed. The hot path: when the provider has the update ready, no async method runs.
    /// </summary>
    public ValueTask<bool> ReadAsync()
    {
        var s = _current!;
        if (s.Failure is not null || s.Ended)
        {
            return new(false);
        }

        ValueTask<bool> next;
        try
        {
            next = s.Stream!.MoveNextAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_call.CallerToken.IsCancellationRequested)
        {
            ProviderStream.Fail(_chain, _call, s, ex);
            return new(false);
        }

        return next.IsCompletedSuccessfully ? new(Moved(s, next.Result)) : ReadWhenReadyAsync(s, next);
    }

    /// <summary>The text the trimmer held at the seam, to deliver before the finishing update.</summary>
    public ChatResponseUpdate? TakeSeamRest() => _delivered.TakeSeamRest();

    /// <summary>The attempt ended well: it is recorded and charged, and the trailer (provider, attempts, cost, the parts) is built.</summary>
    public bool TrySucceed(out ChatResponseUpdate trailer)
    {
        var s = _current!;
        if (s.Failure is not null)
        {
            trailer = null!;
            return false;
        }

        _succeeded = true;
        var attempt = s.Attempt;
        var provider = s.Provider;
        _chain.Telemetry.Attempts.Streamed(attempt, _delivered.Since(_partStart));
        _chain.Recorder.Succeeded(_call, attempt, _activity, attempt.Chunks);
        _chain.Events?.StreamAnswered(_call, _delivered.Since(0), attempt.Usage, continued: _parts is not null);
        trailer = AnswerParts.Trailer(_parts, provider, _call, attempt);
        _racer?.Settle(_chain.HedgeBudget, attempt.Cost);
        return true;
    }

    /// <summary>The attempt failed: it is closed and recorded, and the session moves to a retry, the next provider, or a continuation (or throws when the call ends).</summary>
    public async ValueTask EndAttemptAsync()
    {
        var s = _current!;
        var attempt = s.Attempt;
        await CloseAsync(abandoned: false).ConfigureAwait(false);
        var failure = s.Failure!.Value;
        var committedPart = s.Committed;
        if (_chain.Events is not null)
        {
            attempt.PartialOutput = committedPart ? Events.EventMessages.Text(_delivered.Since(_partStart)) : HeldText(s);
        }

        StreamAttempt.Return(s);
        var provider = _provider!;
        if (committedPart)
        {
            ContinueAfter(attempt, failure);
            attempt.Release();
            return;
        }

        var step = await FailureStep.TakeAsync(_chain, _call, attempt, failure, _walk.NextName()).ConfigureAwait(false);
        attempt.Release();
        if (step == NextStep.Stop)
        {
            throw _failure = _chain.Failures.StopWith(_call, _activity, failure);
        }

        if (step == NextStep.Retry)
        {
            _retry++;
            return;
        }

        _provider = null;
    }

    /// <summary>Closes what is still open: the caller left mid-stream (the attempt is charged as cancelled), or the answer is complete.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_current is { } s)
            {
                await CloseAsync(abandoned: s.Failure is null && !_succeeded).ConfigureAwait(false);
                StreamAttempt.Return(s);
            }
        }
        finally
        {
            if (!_succeeded)
            {
                // A failure, or the caller left before the end.
                _chain.Events?.Ended(_call, _failure, streaming: true, _delivered.Since(0));
            }

            _delivered.Release();
            Recycle();
        }
    }

    /// <summary>After a stream without a race, the session and its call are this thread's spares; a race's losers may still charge the call.</summary>
    private void Recycle()
    {
        if (_hedging != HedgingMode.None)
        {
            return;
        }

        _delivered = default;
        _part = default;
        _outputCommitted = false;
        _parts = null;
        _won = null;
        _provider = null;
        _probe = false;
        _retry = 0;
        _current = null;
        _racer = null;
        _partStart = 0;
        _succeeded = false;
        _failure = null;
        _brokeFrom = null;
        _activity = null;
        _walk = default;
        Update = null;
        _call.Recycle();
        t_spare = this;
    }

    /// <summary>Takes the next provider from the walk (or the race's winner) and sets its part up.</summary>
    private bool NextPart()
    {
        if (_won is not null)
        {
            _provider = _won.Provider;
            _probe = _won.Probe;
        }
        else if (!_walk.TryNext(out var provider, out _probe))
        {
            return false;
        }
        else
        {
            _provider = provider;
        }

        _retry = 0;
        _part.Prepare(_call, _provider, _outputCommitted, _outputCommitted ? _delivered.Text() : null);

        return true;
    }

    /// <summary>A committed part failed: the next provider continues it, the same one is asked again instructed, or the call ends.</summary>
    private void ContinueAfter(Attempt attempt, FailureClassification failure)
    {
        var provider = attempt.Provider;
        _chain.Recorder.Failed(_call, attempt, failure);
        if (_part.TryInstructedRetry(_call, provider, failure, _chain.Recorder))
        {
            _retry++;
            return;
        }

        if (!_chain.Streaming.ContinueAfterCommit || !_chain.Retry.FallsBack(failure.Kind))
        {
            throw _failure = _chain.Failures.StopWith(_call, _activity, failure, outputCommitted: true);
        }

        _brokeFrom = provider.Name;
        _chain.Recorder.Continuing(provider, failure.Kind, _walk.NextName());
        (_parts ??= new()).Broke(provider, _delivered.Since(_partStart), _chain.Tokens, _part.Messages, _part.Options,
            Cost.CostMeter.Billable(failure.Kind, failure.StatusCode, attempt.Chunks));
        _provider = null;
    }

    /// <summary>The text a failed attempt held before commit (what the caller never saw).</summary>
    private static string HeldText(StreamAttempt s)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < s.Pending.Count; i++)
        {
            text.Append(s.Pending[i].Text);
        }

        return text.ToString();
    }

    private void Commit(StreamAttempt s, bool keep)
    {
        s.Committed = true;
        _outputCommitted = true;
        _delivered.Commit(ref s.Pending, s.Provider, keep);
        s.Attempt.Chunks += s.Pending.Count;
    }

    private async ValueTask CloseAsync(bool abandoned)
    {
        var s = _current!;
        _current = null;
        await ProviderStream.CloseAsync(_chain, _call, s, abandoned).ConfigureAwait(false);
        if (_racer is { } racer)
        {
            _racer = null;
            racer.Settle(_chain.HedgeBudget, s.Attempt.Cost);
            racer.Dispose();
        }
    }

    private async ValueTask<bool> ReadWhenReadyAsync(StreamAttempt s, ValueTask<bool> next)
    {
        if (!next.IsCompleted)
        {
            ProviderStream.BeforeWait(_chain, _call, s);
        }

        bool more;
        try
        {
            more = await next.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_call.CallerToken.IsCancellationRequested)
        {
            ProviderStream.Fail(_chain, _call, s, ex);
            return false;
        }

        return Moved(s, more);
    }

    /// <summary>One step of a committed stream: the update is checked, its seam trimmed, annotated and recorded as delivered.</summary>
    private bool Moved(StreamAttempt s, bool more)
    {
        var provider = s.Provider;
        if (!more)
        {
            s.Ended = true;
            s.Failure = _chain.Judge.JudgeEnd(s.Finished, provider.RequireFinishReason, committed: true, s.Pending);
            return false;
        }

        var update = s.Stream!.Current;
        s.Stall?.OnChunk();
        s.Attempt.Chunks++;
        if (!s.ContentSeen)
        {
            // A continuation's first update: from here its total timeout applies, and gaps are stalls.
            ProviderStream.OnFirstContent(_chain, _call, s, _chain.Time.GetTimestamp());
        }

        if (s.Finished || update.FinishReason is not null)
        {
            if (_chain.Judge.JudgeFinish(update) is { } filtered)
            {
                s.Failure = filtered;
                return false;
            }

            s.Finished = true;
            ProviderStream.CaptureUsage(s.Attempt, update);
            _delivered.Finishing(update, _part.FlushSeam());
        }
        else
        {
            _part.TrimSeam(update);
        }

        _delivered.Passing(update, provider, keep: _keep);
        Update = update;
        return true;
    }
}
