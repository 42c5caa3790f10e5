using SkFallback.Hedging;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>
/// What every runner does with a failed attempt: the recorder applies it, the decider decides, and a retry waits
/// out its backoff (taking one from the call's retry budget). Shared by the call loop, the stream loop and races.
/// </summary>
internal static class FailureStep
{
    public static async ValueTask<NextStep> TakeAsync(Chain chain, CallState call, Attempt attempt, FailureClassification failure, string? next, RaceSlot? slot = null)
    {
        chain.Recorder.Failed(call, attempt, failure, slot);
        var provider = attempt.Provider;
        // A racer is never retried inside its race: the chain's retries apply after it.
        var budget = slot is null ? call.RetryBudget : 0;
        var decision = chain.Retry.Decide(failure, provider, attempt.Retry, budget, call.Remaining, Random.Shared.NextDouble());
        switch (decision.Step)
        {
            case NextStep.Stop:
                if (failure.Kind != FailureKind.DeadlineExceeded)
                {
                    chain.Recorder.NotFallingBack(provider, failure.Kind);
                }

                break;
            case NextStep.Retry:
                call.RetryBudget--;
                chain.Recorder.Retrying(provider, decision.Delay, failure.Kind, attempt.Retry + 1, call.RetryBudget);
                if (decision.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(decision.Delay, chain.Time, call.CallerToken).ConfigureAwait(false);
                }

                break;
            default:
                chain.Recorder.FallingBack(provider, failure.Kind, next);
                break;
        }

        return decision.Step;
    }
}
