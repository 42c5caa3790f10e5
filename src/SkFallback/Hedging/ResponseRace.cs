using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Engine;
using SkFallback.Routing;

namespace SkFallback.Hedging;

/// <summary>A non-streaming race: the first good answer wins.</summary>
internal sealed class ResponseRace : Race
{
    private readonly ResponseRunner _runner;

    public ResponseRace(Chain chain, ResponseRunner runner, CallState call, CandidateWalk walk, HedgingMode mode, Activity? activity)
        : base(chain, call, walk, mode, activity, streaming: false)
    {
        _runner = runner;
    }

    /// <summary>Runs the race: the winner's answer, charged and annotated, or <see langword="null"/> when every racer failed.</summary>
    public async Task<ChatResponse?> AnswerAsync()
    {
        if (await RunAsync().ConfigureAwait(false) is not { } winner)
        {
            return null;
        }

        // The call takes the winner's attempt over and completes it as the chain completes any answer.
        var response = winner.Outcome.Response!;
        var attempt = winner.Outcome.Attempt;
        winner.JoinInto(Call);
        _runner.Complete(Call, attempt, response, Activity);
        winner.Settle(Chain.HedgeBudget, attempt.Cost);
        winner.Dispose();
        return response;
    }

    protected override void Start(RaceSlot slot) => slot.Task = SendAsync(slot);

    protected override bool Won(RaceSlot slot) => slot.Outcome.Response is not null;

    protected override ValueTask<FailureClassification?> EndAsync(RaceSlot slot) =>
        ValueTask.FromResult<FailureClassification?>(slot.Outcome.Expired ? null : slot.Outcome.Failure);

    protected override async Task CollectAsync(RaceSlot slot)
    {
        try
        {
            await slot.Task.ConfigureAwait(false);

            // It ended before it saw the cancellation: an answer is billed by its provider; a failure by its kind.
            var outcome = slot.Outcome;
            Chain.Recorder.LostLate(Call, outcome.Attempt, outcome.Response is null ? outcome.Failure : null, slot);
        }
        catch (OperationCanceledException)
        {
            // Cancelled as it should be; its attempt charged what it used.
        }

        slot.Settle(Chain.HedgeBudget, slot.Spent);
        slot.Dispose();
    }

    private async Task SendAsync(RaceSlot slot) =>
        slot.Outcome = await _runner.SendAsync(Call, slot.Provider, slot.Probe, 0, null, slot.Provider.OptionsFor(Call.Options), slot).ConfigureAwait(false);
}
