using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SkFallback.Routing;
using SkFallback.Streaming;

namespace SkFallback;

/// <content>Streaming: providers switch transparently until the first content is delivered.</content>
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

        var preferred = PreferredIndex(options);
        Plan(call, messages, ref options);
        var walk = new ChainWalk(this, call, preferred, messages, options);
        while (walk.TryNext(out var provider, out var probe))
        {
            var providerOptions = OptionsFor(options, provider);
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
                    throw Exhausted(call, activity, deadline: true);
                }

                var armed = false;
                var succeeded = false;
                long delivered = 0;
                IAsyncEnumerator<ChatResponseUpdate>? stream = null;
                var committed = false;
                var contentSeen = false;
                var finished = false;
                StreamCommitBuffer pending = default;
                FailureClassification? failure = null;
                try
                {
                    stream = provider.Client.GetStreamingResponseAsync(messages, providerOptions, attempt.Source.Token).GetAsyncEnumerator(attempt.Source.Token);
                    while (true)
                    {
                        bool more;
                        try
                        {
                            var next = stream.MoveNextAsync();

                            // Updates that are already there need no timer; the first wait arms it.
                            if (!armed && !next.IsCompleted)
                            {
                                Arm(call, attempt.Source, contentSeen ? provider.AttemptTimeout : Min(provider.FirstTokenTimeout, provider.AttemptTimeout), attempt.Start);
                                armed = true;
                            }

                            more = await next.ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                        {
                            failure = ClassifyException(ex, call, attempt.Source, attempt.Exchange, contentSeen);
                            call.LastException = ex;
                            break;
                        }

                        if (!more)
                        {
                            break;
                        }

                        var update = stream.Current;
                        if (committed)
                        {
                            // The hot path: one field read per chunk, then straight through.
                            delivered++;
                            if (finished || update.FinishReason is not null)
                            {
                                finished = true;
                                CaptureUsage(call, update);
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
                            provider.Health.RecordFirstToken(_timeProvider.GetElapsedTime(attempt.Start));

                            // First content arrived: from here the attempt's total timeout applies.
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

                        if (pending.ReadyToCommit(probeLength))
                        {
                            committed = true;
                            AnnotateFirst(pending.First, provider);
                            delivered += pending.Count;
                            for (var i = 0; i < pending.Count; i++)
                            {
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
                        // A short answer that ended before the probe filled: judge it whole, then deliver it.
                        var verdict = pending.Judge(_classifier, detectRefusal);
                        if (verdict != FailureKind.None)
                        {
                            failure = new(verdict, 200, null, "the stream is a refusal");
                        }
                        else
                        {
                            committed = true;
                            if (pending.Count > 0)
                            {
                                AnnotateFirst(pending.First, provider);
                            }

                            delivered += pending.Count;

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
                        Charge(call, provider, FailureKind.None, 200, delivered);
                        var trailer = new ChatResponseUpdate { AdditionalProperties = new(provider.MetadataTemplate) };
                        trailer.AdditionalProperties[FallbackMetadataKeys.Attempts] = call.Attempts;
                        if (call.Routing is not null || call.LastCost is not null)
                        {
                            AnnotateCost(trailer.AdditionalProperties, call, provider);
                        }

                        yield return trailer;
                        yield break;
                    }
                }
                finally
                {
                    call.Chunks = delivered;
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
                    // Output already reached the caller: switching would duplicate it. Continuation is the streaming layer's job.
                    RecordFailure(call, provider, retry, attempt, failure.Value);
                    throw StopWith(call, activity, failure.Value, outputCommitted: true);
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

        throw Exhausted(call, activity, deadline: false);
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
