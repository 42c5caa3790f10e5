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
        var probeLength = detectRefusal ? _classifier.RefusalProbeLength : 0;
        var bufferWhole = StreamingModeOf(options) == StreamingMode.BufferWhole;

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
        try
        {
            while (walk.TryNext(out var provider, out var probe))
            {
                // After commit, the next provider continues the answer instead of starting it again.
                var sendMessages = messages;
                var sendOptions = options;
                ContinuationOverlapTrimmer? trimmer = null;
                if (outputCommitted)
                {
                    var continuation = ContinuationRequestBuilder.Build(messages, options, delivered.Text(), provider.Continuation);
                    sendMessages = continuation.Messages;
                    sendOptions = continuation.Options;
                    trimmer = continuation.CreateTrimmer();
                    answerMessageId ??= delivered.FirstMessageId();
                }

                var providerOptions = OptionsFor(sendOptions, provider);
                for (var retry = 0; ; retry++)
                {
                    if (!Reserve(call, provider))
                    {
                        break;
                    }

                    var attempt = BeginAttempt(call, provider, probe);
                    if (attempt.DeadlinePassed)
                    {
                        EndAttempt(call, attempt, armed: false, abandoned: true, FailureKind.DeadlineExceeded);
                        throw outputCommitted ? StopWith(call, activity, new(FailureKind.DeadlineExceeded, null, null, "deadline"), outputCommitted: true) : Exhausted(call, activity, deadline: true);
                    }

                    var armed = false;
                    var succeeded = false;
                    var partStart = delivered.Count;
                    long chunks = 0;
                    IAsyncEnumerator<ChatResponseUpdate>? stream = null;
                    var committed = outputCommitted;

                    // A continuation's first update with text says which provider wrote from there on.
                    var annotateNext = outputCommitted;
                    var contentSeen = false;
                    var finished = false;
                    var firstContentAt = 0L;
                    StreamStallDetector? stall = null;
                    StreamCommitBuffer pending = default;
                    FailureClassification? failure = null;
                    try
                    {
                        stream = provider.Client.GetStreamingResponseAsync(sendMessages, providerOptions, attempt.Source.Token).GetAsyncEnumerator(attempt.Source.Token);
                        while (true)
                        {
                            bool more;
                            try
                            {
                                var next = stream.MoveNextAsync();

                                // Updates that are already there need no timer; the first wait arms it.
                                if (!next.IsCompleted)
                                {
                                    if (!armed)
                                    {
                                        Arm(call, attempt.Source, contentSeen ? provider.AttemptTimeout : Min(provider.FirstTokenTimeout, provider.AttemptTimeout), attempt.Start);
                                        armed = true;
                                    }

                                    // Likewise the stall watch starts at the first wait after content.
                                    if (stall is null && contentSeen && provider.StallTimeout != Timeout.InfiniteTimeSpan)
                                    {
                                        stall = RentStallDetector();
                                        stall.Start(attempt.Source, provider.StallTimeout);
                                    }
                                }

                                more = await next.ConfigureAwait(false);
                            }
                            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                            {
                                failure = stall is { Tripped: true }
                                    ? new(FailureKind.Stalled, null, null, $"no update for {stall.StallTimeout.TotalMilliseconds:0} ms")
                                    : ClassifyException(ex, call, attempt.Source, attempt.Exchange, contentSeen);
                                call.LastException = ex;
                                break;
                            }

                            if (!more)
                            {
                                break;
                            }

                            var update = stream.Current;
                            stall?.OnChunk();
                            if (committed)
                            {
                                // The hot path: count, watch for the end, pass straight through.
                                chunks++;
                                if (!contentSeen)
                                {
                                    // A continuation's first update: from here its total timeout applies, and gaps are stalls.
                                    contentSeen = true;
                                    provider.Health.RecordFirstToken(_timeProvider.GetElapsedTime(attempt.Start));
                                    if (armed)
                                    {
                                        Arm(call, attempt.Source, provider.AttemptTimeout, attempt.Start);
                                    }
                                }

                                if (finished || update.FinishReason is not null)
                                {
                                    if (update.FinishReason == ChatFinishReason.ContentFilter && detectRefusal)
                                    {
                                        failure = new(FailureKind.Refusal, 200, null, "the stream was stopped by a content filter");
                                        break;
                                    }

                                    finished = true;
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
                                continue;
                            }

                            var verdict = pending.Add(update, _classifier, detectRefusal, probeLength, out var hasContent);
                            if (finished || update.FinishReason is not null)
                            {
                                finished = true;
                                CaptureUsage(call, update);
                            }

                            if (hasContent && !contentSeen)
                            {
                                contentSeen = true;
                                firstContentAt = _timeProvider.GetTimestamp();
                                provider.Health.RecordFirstToken(_timeProvider.GetElapsedTime(attempt.Start, firstContentAt));

                                // First content arrived: from here the attempt's total timeout applies, and quiet gaps are stalls.
                                if (armed)
                                {
                                    Arm(call, attempt.Source, provider.AttemptTimeout, attempt.Start);
                                }
                            }

                            if (verdict != FailureKind.None)
                            {
                                failure = new(verdict, 200, null, "the stream is a refusal");
                                break;
                            }

                            if (!bufferWhole && pending.ReadyToCommit(probeLength)
                                && pending.HeldEnough(_commitChunks, _commitDelay, _commitChunks == 0 ? TimeSpan.MaxValue : _timeProvider.GetElapsedTime(firstContentAt)))
                            {
                                committed = true;
                                outputCommitted = true;
                                AnnotateFirst(pending.First, provider);
                                chunks += pending.Count;
                                for (var i = 0; i < pending.Count; i++)
                                {
                                    if (_continueAfterCommit)
                                    {
                                        delivered.Add(pending[i]);
                                    }

                                    yield return pending[i];
                                }

                                pending.Clear();
                            }
                        }

                        if (failure is null && !finished && provider.RequireFinishReason)
                        {
                            failure = new(FailureKind.TruncatedStream, 200, null, "the stream ended without a finish reason");
                        }

                        if (failure is null && !committed)
                        {
                            // A short answer that ended before the buffer filled: judge it whole, then deliver it.
                            var verdict = pending.Judge(_classifier, detectRefusal);
                            if (verdict != FailureKind.None)
                            {
                                failure = new(verdict, 200, null, "the stream is a refusal");
                            }
                            else
                            {
                                committed = true;
                                outputCommitted = true;
                                if (pending.Count > 0)
                                {
                                    AnnotateFirst(pending.First, provider);
                                }

                                chunks += pending.Count;
                                for (var i = 0; i < pending.Count; i++)
                                {
                                    yield return pending[i];
                                }

                                pending.Clear();
                            }
                        }

                        if (failure is null)
                        {
                            succeeded = true;
                            Succeed(call, provider, retry, attempt, activity);
                            Charge(call, provider, FailureKind.None, 200, chunks);
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

                            yield return trailer;
                            yield break;
                        }
                    }
                    finally
                    {
                        call.Chunks = chunks;
                        if (stall is not null)
                        {
                            if (stall.Stop() && failure is { Kind: not FailureKind.Stalled })
                            {
                                failure = new(FailureKind.Stalled, null, null, $"no update for {stall.StallTimeout.TotalMilliseconds:0} ms");
                            }

                            ReturnStallDetector(stall);
                        }

                        if (stream is not null)
                        {
                            // Tear the provider's stream down before its timeout source is reused.
                            if (failure is not null && !attempt.Source.IsCancellationRequested)
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

                        EndAttempt(call, attempt, armed, abandoned: failure is null && !succeeded);
                    }

                    if (committed)
                    {
                        // Output already reached the caller: the next provider continues it, or the call ends here.
                        RecordFailure(call, provider, retry, attempt, failure.Value);
                        if (!_continueAfterCommit || !_fallbackOn[(int)failure.Value.Kind])
                        {
                            throw StopWith(call, activity, failure.Value, outputCommitted: true);
                        }

                        Diagnostics.FallbackTelemetry.RecordFallback(provider.Name, failure.Value.Kind);
                        unreported = UnreportedUsage.Add(unreported, delivered.Since(partStart), _tokens, provider.Model, sendMessages, sendOptions,
                            Billable(failure.Value.Kind, failure.Value.StatusCode, chunks));
                        (joined ??= []).Add(provider.Name);
                        Diagnostics.Log.Continuing(_logger, provider.Name, walk.NextName() ?? "(none)", failure.Value.Kind);
                        break;
                    }

                    var decision = await DecideAsync(call, provider, walk.NextName(), retry, attempt, failure.Value).ConfigureAwait(false);
                    if (decision == Decision.Retry)
                    {
                        continue;
                    }

                    if (decision == Decision.Stop)
                    {
                        throw StopWith(call, activity, failure.Value);
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
