using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SkFallback.Routing;
using SkFallback.Streaming;

namespace SkFallback;

/// <content>
/// Streaming: providers switch transparently while the commit buffer holds the first updates; after commit, a stream
/// that breaks, stalls, is truncated or filtered is continued on the next provider from exactly the text delivered.
/// </content>
public sealed partial class FallbackChatClient
{
    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();

        using var activity = StartActivity(streaming: true);
        var call = new FallbackCall(_timeProvider, _retryBudget, _deadline, cancellationToken);
        var detectRefusal = _fallbackOn[(int)FailureKind.Refusal];
        var rules = new StreamRules(detectRefusal, detectRefusal ? _classifier.RefusalProbeLength : 0, StreamingModeOf(options) == StreamingMode.BufferWhole);

        var hedging = HedgingOf(options);
        var preferred = PreferredIndex(options);
        Plan(call, messages, ref options);
        var walk = new ChainWalk(this, call, preferred, messages, options);

        // What the caller has received: kept by reference so a broken stream can be continued from it.
        DeliveredText delivered = default;
        var outputCommitted = false;
        List<string>? joined = null;

        // What the parts of a continued answer used and never reported, added to the caller's usage at the end.
        UsageDetails? unreported = null;

        // The message id of the answer's first part: continuations keep it, so the caller's joined answer is one message.
        string? answerMessageId = null;

        // A race's winner: its stream is open and its first updates are held, ready to commit.
        Racer? won = null;
        try
        {
            if (hedging != HedgingMode.None)
            {
                var race = new StreamRace(this, call, walk, messages, options, hedging, activity, rules);
                won = await race.RunAsync().ConfigureAwait(false);
                walk = race.Walk;
            }

            while (true)
            {
                ChainProvider provider;
                bool probe;
                if (won is not null)
                {
                    provider = won.Provider;
                    probe = won.Probe;
                }
                else if (!walk.TryNext(out provider, out probe))
                {
                    break;
                }

                // After commit, the next provider continues the answer instead of starting it again.
                var sendMessages = messages;
                var sendOptions = options;
                ContinuationOverlapTrimmer? trimmer = null;
                ContinuationRequest? continuation = null;
                if (outputCommitted)
                {
                    continuation = ContinuationRequestBuilder.Build(messages, options, delivered.Text(), provider.EffectiveContinuation);
                    sendMessages = continuation.Messages;
                    sendOptions = continuation.Options;
                    trimmer = continuation.CreateTrimmer();
                    answerMessageId ??= delivered.FirstMessageId();
                }

                var providerOptions = OptionsFor(sendOptions, provider);
                for (var retry = 0; ; retry++)
                {
                    StreamAttempt s;
                    var spentBefore = call.Spent;
                    var racer = won;
                    won = null;
                    if (racer is not null)
                    {
                        s = racer.Stream!;
                        racer.Adopt(call);
                    }
                    else
                    {
                        if (!Reserve(call, provider))
                        {
                            break;
                        }

                        var scope = BeginAttempt(call, provider, probe);
                        if (scope.DeadlinePassed)
                        {
                            EndAttempt(call, scope, armed: false, abandoned: true, FailureKind.DeadlineExceeded);
                            throw outputCommitted ? StopWith(call, activity, new(FailureKind.DeadlineExceeded, null, null, "deadline"), outputCommitted: true) : Exhausted(call, activity, deadline: true);
                        }

                        s = StreamAttempt.Rent(call, provider, probe, scope, committed: outputCommitted);
                    }

                    var succeeded = false;
                    var partStart = delivered.Count;
                    (FailureClassification Failure, bool Committed, AttemptScope Attempt, long Chunks) ended = default;

                    // A continuation's first update with text says which provider wrote from there on.
                    var annotateNext = outputCommitted;
                    try
                    {
                        if (racer is null)
                        {
                            await FillAsync(s, sendMessages, providerOptions, rules).ConfigureAwait(false);
                        }

                        if (s.Failure is null && s.Ready)
                        {
                            s.Committed = true;
                            outputCommitted = true;
                            AnnotateFirst(s.Pending.First, provider);
                            s.Chunks += s.Pending.Count;
                            for (var i = 0; i < s.Pending.Count; i++)
                            {
                                if (_continueAfterCommit)
                                {
                                    delivered.Add(s.Pending[i]);
                                }

                                yield return s.Pending[i];
                            }

                            s.Pending.Clear();
                        }

                        var stream = s.Stream!;
                        while (s.Failure is null && !s.Ended)
                        {
                            // The hot path: after commit, updates pass straight through.
                            bool more;
                            try
                            {
                                var next = stream.MoveNextAsync();
                                if (!next.IsCompleted)
                                {
                                    BeforeWait(s);
                                }

                                more = await next.ConfigureAwait(false);
                            }
                            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                            {
                                Fail(s, ex);
                                break;
                            }

                            if (!more)
                            {
                                s.Ended = true;
                                if (!s.Finished && provider.RequireFinishReason)
                                {
                                    s.Failure = new(FailureKind.TruncatedStream, 200, null, "the stream ended without a finish reason");
                                }

                                break;
                            }

                            var update = stream.Current;
                            s.Stall?.OnChunk();
                            s.Chunks++;
                            if (!s.ContentSeen)
                            {
                                // A continuation's first update: from here its total timeout applies, and gaps are stalls.
                                s.ContentSeen = true;
                                provider.Health.RecordFirstToken(_timeProvider.GetElapsedTime(s.Attempt.Start));
                                if (s.Armed)
                                {
                                    Arm(call, s.Attempt.Source, provider.AttemptTimeout, s.Attempt.Start);
                                }
                            }

                            if (s.Finished || update.FinishReason is not null)
                            {
                                if (update.FinishReason == ChatFinishReason.ContentFilter && detectRefusal)
                                {
                                    s.Failure = new(FailureKind.Refusal, 200, null, "the stream was stopped by a content filter");
                                    break;
                                }

                                s.Finished = true;
                                CaptureUsage(call, update);
                                if (trimmer is { Settled: false } && trimmer.Flush() is { Length: > 0 } held)
                                {
                                    var rest = new ChatResponseUpdate(ChatRole.Assistant, held) { ModelId = update.ModelId, MessageId = answerMessageId ?? update.MessageId };
                                    delivered.Add(rest);
                                    yield return rest;
                                }
                            }
                            else if (trimmer is { Settled: false })
                            {
                                TrimSeam(update, trimmer);
                            }

                            if (answerMessageId is not null)
                            {
                                update.MessageId = answerMessageId;
                            }

                            if (annotateNext && !string.IsNullOrEmpty(update.Text))
                            {
                                annotateNext = false;
                                AnnotateFirst(update, provider);
                            }

                            if (_continueAfterCommit)
                            {
                                delivered.Add(update);
                            }

                            yield return update;
                        }

                        if (s.Failure is null && !s.Committed)
                        {
                            // A short answer that ended before the buffer filled (already judged whole): deliver it.
                            s.Committed = true;
                            outputCommitted = true;
                            if (s.Pending.Count > 0)
                            {
                                AnnotateFirst(s.Pending.First, provider);
                            }

                            s.Chunks += s.Pending.Count;
                            for (var i = 0; i < s.Pending.Count; i++)
                            {
                                yield return s.Pending[i];
                            }

                            s.Pending.Clear();
                        }

                        if (s.Failure is null)
                        {
                            succeeded = true;
                            Succeed(call, provider, retry, s.Attempt, activity);
                            Charge(call, provider, FailureKind.None, 200, s.Chunks);
                            var trailer = new ChatResponseUpdate { AdditionalProperties = new(provider.MetadataTemplate) };
                            trailer.AdditionalProperties[FallbackMetadataKeys.Attempts] = call.Attempts;
                            if (call.Routing is not null || call.LastCost is not null)
                            {
                                AnnotateCost(trailer.AdditionalProperties, call, provider);
                            }

                            if (joined is not null)
                            {
                                joined.Add(provider.Name);
                                trailer.AdditionalProperties[FallbackMetadataKeys.ContinuedFrom] = joined;
                                if (call.Spent > 0)
                                {
                                    // The whole answer's cost: every provider that wrote part of it.
                                    trailer.AdditionalProperties[FallbackMetadataKeys.CostUsd] = call.Spent;
                                }

                                if (unreported is not null)
                                {
                                    // The usage of the parts whose providers broke off before reporting it.
                                    trailer.Contents.Add(new UsageContent(unreported));
                                }
                            }

                            racer?.Settle(this, call.Spent - spentBefore);
                            yield return trailer;
                            yield break;
                        }
                    }
                    finally
                    {
                        await CloseAsync(s, abandoned: s.Failure is null && !succeeded).ConfigureAwait(false);
                        if (racer is not null)
                        {
                            racer.Settle(this, call.Spent - spentBefore);
                            racer.Dispose();
                        }

                        // What the rest of the iteration needs, kept before the state goes back for the next stream.
                        ended = (s.Failure ?? default, s.Committed, s.Attempt, s.Chunks);
                        if (racer is null)
                        {
                            StreamAttempt.Return(s);
                        }
                    }

                    var (failure, committedPart, attemptScope, partChunks) = ended;
                    if (committedPart)
                    {
                        // Output already reached the caller: the next provider continues it, or the call ends here.
                        RecordFailure(call, provider, retry, attemptScope, failure);
                        if (continuation is { Mode: not ContinuationMode.Instructed } && failure is { Kind: FailureKind.CallerError, StatusCode: 400 })
                        {
                            // The provider rejects prefill or prefix completion (newer Claude models do): ask it again,
                            // and in its later continuations, with an instructed continuation.
                            provider.RejectContinuationMode();
                            Diagnostics.Log.ContinuationModeRejected(_logger, provider.Name, continuation.Mode, failure.StatusCode);
                            continuation = ContinuationRequestBuilder.Build(messages, options, continuation.Delivered, ContinuationMode.Instructed);
                            sendMessages = continuation.Messages;
                            sendOptions = continuation.Options;
                            trimmer = continuation.CreateTrimmer();
                            providerOptions = OptionsFor(sendOptions, provider);
                            continue;
                        }

                        if (!_continueAfterCommit || !_fallbackOn[(int)failure.Kind])
                        {
                            throw StopWith(call, activity, failure, outputCommitted: true);
                        }

                        Diagnostics.FallbackTelemetry.RecordFallback(provider.Name, failure.Kind);
                        unreported = UnreportedUsage.Add(unreported, delivered.Since(partStart), _tokens, provider.Model, sendMessages, sendOptions,
                            Billable(failure.Kind, failure.StatusCode, partChunks));
                        (joined ??= []).Add(provider.Name);
                        Diagnostics.Log.Continuing(_logger, provider.Name, walk.NextName() ?? "(none)", failure.Kind);
                        break;
                    }

                    var decision = await DecideAsync(call, provider, walk.NextName(), retry, attemptScope, failure).ConfigureAwait(false);
                    if (decision == Decision.Retry)
                    {
                        continue;
                    }

                    if (decision == Decision.Stop)
                    {
                        throw StopWith(call, activity, failure);
                    }

                    break;
                }
            }

            if (outputCommitted)
            {
                throw StopWith(call, activity, new(call.Attempts.Count > 0 ? call.Attempts[^1].Outcome : FailureKind.Unknown, null, null, "no provider could continue the answer"), outputCommitted: true);
            }

            throw Exhausted(call, activity, deadline: false);
        }
        finally
        {
            delivered.Release();
        }
    }

    /// <summary>
    /// Opens the provider's stream and, unless the attempt starts committed (a continuation), holds its first updates
    /// until the commit buffer has enough, the stream ends, or it fails. A stream that ended is judged here: truncated
    /// (no finish reason) or a refusal are failures. The caller's cancellation (<see cref="FallbackCall.CallerToken"/>) is thrown.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(StreamAttempt s, IEnumerable<ChatMessage> messages, ChatOptions? options, StreamRules rules)
    {
        var provider = s.Provider;
        var callerToken = s.Call.CallerToken;
        IAsyncEnumerator<ChatResponseUpdate> stream;
        try
        {
            stream = provider.Client.GetStreamingResponseAsync(messages, options, s.Attempt.Source.Token).GetAsyncEnumerator(s.Attempt.Source.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !callerToken.IsCancellationRequested)
        {
            Fail(s, ex);
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
                    BeforeWait(s);
                }

                more = await next.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !callerToken.IsCancellationRequested)
            {
                Fail(s, ex);
                return;
            }

            if (!more)
            {
                s.Ended = true;
                if (!s.Finished && provider.RequireFinishReason)
                {
                    s.Failure = new(FailureKind.TruncatedStream, 200, null, "the stream ended without a finish reason");
                }
                else if (s.Pending.Judge(_classifier, rules.DetectRefusal) != FailureKind.None)
                {
                    s.Failure = new(FailureKind.Refusal, 200, null, "the stream is a refusal");
                }

                return;
            }

            var update = stream.Current;
            s.Stall?.OnChunk();
            var verdict = s.Pending.Add(update, _classifier, rules.DetectRefusal, rules.ProbeLength, out var hasContent);
            if (s.Finished || update.FinishReason is not null)
            {
                s.Finished = true;
                CaptureUsage(s.Call, update);
            }

            if (hasContent && !s.ContentSeen)
            {
                s.ContentSeen = true;
                s.FirstContentAt = _timeProvider.GetTimestamp();
                provider.Health.RecordFirstToken(_timeProvider.GetElapsedTime(s.Attempt.Start, s.FirstContentAt));

                // First content arrived: from here the attempt's total timeout applies, and quiet gaps are stalls.
                if (s.Armed)
                {
                    Arm(s.Call, s.Attempt.Source, provider.AttemptTimeout, s.Attempt.Start);
                }
            }

            if (verdict != FailureKind.None)
            {
                s.Failure = new(verdict, 200, null, "the stream is a refusal");
                return;
            }

            if (!rules.BufferWhole && s.Pending.ReadyToCommit(rules.ProbeLength)
                && s.Pending.HeldEnough(_commitChunks, _commitDelay, _commitChunks == 0 ? TimeSpan.MaxValue : _timeProvider.GetElapsedTime(s.FirstContentAt)))
            {
                s.Ready = true;
                return;
            }
        }
    }

    /// <summary>The stream makes the attempt wait: the first wait arms the attempt's timer, the first after content starts the stall watch.</summary>
    private void BeforeWait(StreamAttempt s)
    {
        var provider = s.Provider;
        if (!s.Armed)
        {
            Arm(s.Call, s.Attempt.Source, s.ContentSeen ? provider.AttemptTimeout : Min(provider.FirstTokenTimeout, provider.AttemptTimeout), s.Attempt.Start);
            s.Armed = true;
        }

        if (s.Stall is null && s.ContentSeen && provider.StallTimeout != Timeout.InfiniteTimeSpan)
        {
            s.Stall = RentStallDetector();
            s.Stall.Start(s.Attempt.Source, provider.StallTimeout);
        }
    }

    private void Fail(StreamAttempt s, Exception ex)
    {
        s.Failure = s.Stall is { Tripped: true }
            ? new(FailureKind.Stalled, null, null, $"no update for {s.Stall.StallTimeout.TotalMilliseconds:0} ms")
            : ClassifyException(ex, s.Call, s.Attempt.Source, s.Attempt.Exchange, s.ContentSeen);
        s.Call.LastException = ex;
    }

    /// <summary>
    /// Ends a streaming attempt: stops the stall watch (a stall it caught names the failure), tears the provider's
    /// stream down before its timeout source is reused, and ends the attempt (an abandoned one is charged).
    /// </summary>
    private async ValueTask CloseAsync(StreamAttempt s, bool abandoned)
    {
        s.Call.Chunks = s.Chunks;
        if (s.Stall is { } stall)
        {
            s.Stall = null;
            if (stall.Stop() && s.Failure is { Kind: not FailureKind.Stalled })
            {
                s.Failure = new(FailureKind.Stalled, null, null, $"no update for {stall.StallTimeout.TotalMilliseconds:0} ms");
            }

            ReturnStallDetector(stall);
        }

        if (s.Stream is { } stream)
        {
            s.Stream = null;
            if ((s.Failure is not null || abandoned) && !s.Attempt.Source.IsCancellationRequested)
            {
                await s.Attempt.Source.CancelAsync().ConfigureAwait(false);
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

        EndAttempt(s.Call, s.Attempt, s.Armed, abandoned);
    }

    /// <summary>The streaming mode of a call: the request's <see cref="FallbackMetadataKeys.StreamingMode"/>, else the chain's.</summary>
    private StreamingMode StreamingModeOf(ChatOptions? options)
    {
        if (options?.AdditionalProperties is { Count: > 0 } properties && properties.TryGetValue(FallbackMetadataKeys.StreamingMode, out var value) && value is not null)
        {
            return value switch
            {
                StreamingMode mode => mode,
                string name when Enum.TryParse<StreamingMode>(name, ignoreCase: true, out var parsed) => parsed,
                _ => throw new ArgumentException($"The request property '{FallbackMetadataKeys.StreamingMode}' must be one of {string.Join(", ", Enum.GetNames<StreamingMode>())}; got '{value}'.", nameof(options)),
            };
        }

        return _streamingMode;
    }

    /// <summary>Removes the repetition at the seam of a continuation from an update's text, in place.</summary>
    private static void TrimSeam(ChatResponseUpdate update, ContinuationOverlapTrimmer trimmer)
    {
        var contents = update.Contents;
        for (var i = 0; i < contents.Count && !trimmer.Settled; i++)
        {
            if (contents[i] is TextContent text && text.Text is { Length: > 0 } chunk)
            {
                text.Text = trimmer.Push(chunk);
            }
        }
    }

    private StreamStallDetector RentStallDetector() =>
        _stallDetectors.TryTake(out var detector) ? detector : new StreamStallDetector(_timeProvider);

    private void ReturnStallDetector(StreamStallDetector detector)
    {
        if (_stallDetectors.Count < 64)
        {
            _stallDetectors.Add(detector);
        }
        else
        {
            detector.Dispose();
        }
    }

    /// <summary>Keeps the usage a provider reports at the end of its stream (with or after the finish reason).</summary>
    private static void CaptureUsage(FallbackCall call, ChatResponseUpdate update)
    {
        var contents = update.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is UsageContent usage)
            {
                call.Usage = usage.Details;
            }
        }
    }

    private static void AnnotateFirst(ChatResponseUpdate update, ChainProvider provider)
    {
        var properties = update.AdditionalProperties ??= [];
        properties[FallbackMetadataKeys.Provider] = provider.Name;
        properties[FallbackMetadataKeys.Model] = provider.Model;
    }
}
