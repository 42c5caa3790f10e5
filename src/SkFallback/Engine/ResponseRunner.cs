using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Hedging;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>
/// The non-streaming call: one attempt after another down the walk until one answers well, each judged, recorded and
/// decided on. The first attempt may already have been started by <see cref="FallbackChatClient"/>'s synchronous path.
/// </summary>
internal sealed class ResponseRunner(Chain chain)
{
    /// <summary>A hedged or parallel call: a race first; when every racer failed, the chain goes on from the next candidate.</summary>
    public async Task<ChatResponse> RaceAsync(CallState call, CandidateWalk walk, HedgingMode hedging, Activity? activity)
    {
        CandidateWalk rest;
        try
        {
            var race = new ResponseRace(chain, this, call, walk, hedging, activity);
            if (await race.AnswerAsync().ConfigureAwait(false) is { } won)
            {
                activity?.Dispose();
                return won;
            }

            rest = race.Walk;
        }
        catch
        {
            activity?.Dispose();
            throw;
        }

        return await ChainAsync(call, rest, activity, null, false, default).ConfigureAwait(false);
    }

    /// <summary>
    /// Walks the rest of the chain. When <paramref name="started"/> is set, its attempt is already under way and
    /// <paramref name="first"/> gives its outcome; the call's activity ends here.
    /// </summary>
    public async Task<ChatResponse> ChainAsync(CallState call, CandidateWalk walk, Activity? activity, ChainProvider? started, bool startedProbe, ValueTask<SendOutcome> first)
    {
        using var owned = activity;
        var provider = started;
        var probe = startedProbe;
        while (provider is not null || walk.TryNext(out provider, out probe))
        {
            var providerOptions = provider.OptionsFor(call.Options);
            for (var retry = 0; ; retry++)
            {
                SendOutcome outcome;
                if (started is not null)
                {
                    started = null;
                    outcome = await first.ConfigureAwait(false);
                }
                else if (!chain.Reserve(call, provider, out var reservation))
                {
                    break;
                }
                else
                {
                    outcome = await SendAsync(call, provider, probe, retry, reservation, providerOptions).ConfigureAwait(false);
                }

                var attempt = outcome.Attempt;
                if (outcome.Response is { } response)
                {
                    Complete(call, attempt, response, activity);
                    attempt.Release();
                    return response;
                }

                if (outcome.Expired)
                {
                    throw chain.Failures.Exhausted(call, activity, deadline: true);
                }

                var step = await FailureStep.TakeAsync(chain, call, attempt, outcome.Failure, walk.NextName()).ConfigureAwait(false);
                attempt.Release();
                if (step == NextStep.Retry)
                {
                    continue;
                }

                if (step == NextStep.Stop)
                {
                    throw chain.Failures.StopWith(call, activity, outcome.Failure);
                }

                break;
            }

            provider = null;
        }

        throw chain.Failures.Exhausted(call, activity, deadline: false);
    }

    /// <summary>
    /// Sends one attempt and judges its answer: a response when it is good, otherwise the failure. The attempt has
    /// ended (its timer returned, a cancelled one charged) when this completes; the cancellation of whoever started it
    /// (the caller, or a race) is thrown, never classified. An answer that is already there is judged without an async method.
    /// </summary>
    public ValueTask<SendOutcome> SendAsync(CallState call, ChainProvider provider, bool probe, int retry, SpendReservation? reservation, ChatOptions? providerOptions, RaceSlot? slot = null)
    {
        var attempt = chain.Begin(call, provider, probe, retry, slot);
        if (slot is null)
        {
            attempt.Reservation = reservation;
        }
        else
        {
            slot.Attempt = attempt;
        }

        if (attempt.DeadlinePassed)
        {
            chain.End(call, attempt, abandoned: true, FailureKind.DeadlineExceeded, slot);
            return new(new SendOutcome(null, new(FailureKind.DeadlineExceeded, null, null, "deadline"), attempt, Expired: true));
        }

        var pending = Start(chain.Telemetry.Attempts, provider, call.Messages, providerOptions, attempt);
        if (!pending.IsCompleted)
        {
            // The provider's flow keeps its exchange; the caller's flow does not.
            attempt.LeaveExchange();
            return FinishAsync(call, attempt, pending, slot);
        }

        try
        {
            return new(Finish(call, attempt, pending, slot));
        }
        catch (OperationCanceledException ex)
        {
            return ValueTask.FromException<SendOutcome>(ex);
        }
    }

    /// <summary>
    /// Asks the provider; a provider that throws at once gives a faulted task, judged like any other. The attempt's
    /// span is current only while the request is sent, so what the provider traces nests under it.
    /// </summary>
    public static Task<ChatResponse> Start(Diagnostics.AttemptTelemetry telemetry, ChainProvider provider, IEnumerable<ChatMessage> messages, ChatOptions? providerOptions, Attempt attempt)
    {
        var span = attempt.Span;
        var previous = span is null ? null : telemetry.Enter(span, messages);
        try
        {
            return provider.Client.GetResponseAsync(messages, providerOptions, attempt.Source.Token);
        }
        catch (Exception ex)
        {
            return Task.FromException<ChatResponse>(ex);
        }
        finally
        {
            if (span is not null)
            {
                Activity.Current = previous;
            }
        }
    }

    /// <summary>Waits for an answer that is not there yet, under the attempt's timer (only a call that waits is timed).</summary>
    public async ValueTask<SendOutcome> FinishAsync(CallState call, Attempt attempt, Task<ChatResponse> pending, RaceSlot? slot = null)
    {
        chain.Arm(call, attempt, attempt.Provider.AttemptTimeout);
        await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return Finish(call, attempt, pending, slot);
    }

    /// <summary>Judges a finished attempt and ends it; the cancellation of whoever started it is rethrown, never classified.</summary>
    public SendOutcome Finish(CallState call, Attempt attempt, Task<ChatResponse> completed, RaceSlot? slot = null)
    {
        FailureClassification failure;
        var cancelled = attempt.CallerToken;
        try
        {
            var response = completed.GetAwaiter().GetResult();
            var verdict = chain.Judge.Judge(response, attempt.Provider.RequireFinishReason);
            attempt.Usage = response.Usage;
            attempt.ResponseModel = response.ModelId;
            attempt.FinishReason = response.FinishReason;
            if (verdict is null)
            {
                return new(response, default, attempt, Expired: false);
            }

            failure = verdict.Value;
            if (chain.Events is not null)
            {
                // The answer judged not to be one (a refusal as 200, no finish reason) is the provider's partial output.
                attempt.PartialOutput = response.Text;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancelled.IsCancellationRequested)
        {
            failure = chain.Classify(ex, call, attempt, contentSeen: true);
            if (slot is null)
            {
                call.LastException = ex;
            }
            else
            {
                slot.LastException = ex;
            }
        }
        finally
        {
            chain.End(call, attempt, abandoned: cancelled.IsCancellationRequested, FailureKind.Cancelled, slot);
        }

        return new(null, failure, attempt, Expired: false);
    }

    /// <summary>Records a good answer, charges it, and annotates it with its provider, the attempts and, when priced, its cost.</summary>
    public void Complete(CallState call, Attempt attempt, ChatResponse response, Activity? activity)
    {
        var provider = attempt.Provider;
        var output = call.Routing is not null && response.Usage is null ? TokenEstimator.CountText(provider.Candidate.Family, response.Text) : 0;
        chain.Telemetry.Attempts.Answered(attempt, response);
        chain.Recorder.Succeeded(call, attempt, activity, output);
        Annotate(response, provider, call);
        if (call.Routing is not null || attempt.PricedCost is not null)
        {
            CostMeter.Annotate(response.AdditionalProperties!, attempt);
        }
    }

    private static void Annotate(ChatResponse response, ChainProvider provider, CallState call)
    {
        if (response.AdditionalProperties is { } existing)
        {
            existing[FallbackMetadataKeys.Provider] = provider.Name;
            existing[FallbackMetadataKeys.Model] = provider.Model;
            existing[FallbackMetadataKeys.Attempts] = call.Attempts;
            return;
        }

        // Copying the provider's prepared entries skips hashing two of the three keys.
        var properties = new AdditionalPropertiesDictionary(provider.MetadataTemplate);
        properties[FallbackMetadataKeys.Attempts] = call.Attempts;
        response.AdditionalProperties = properties;
    }
}
