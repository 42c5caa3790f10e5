using System.Diagnostics;
using SkFallback.Engine;
using SkFallback.Routing;
using SkFallback.Streaming;

namespace SkFallback.Hedging;

/// <summary>A streaming race: the first stream to commit (or to end well before it) wins; what the losers held never reaches the caller.</summary>
internal sealed class StreamRace : Race
{
    private readonly StreamRules _rules;

    public StreamRace(Chain chain, CallState call, CandidateWalk walk, HedgingMode mode, Activity? activity, StreamRules rules)
        : base(chain, call, walk, mode, activity, streaming: true)
    {
        _rules = rules;
    }

    protected override void Start(RaceSlot slot)
    {
        var attempt = Chain.Begin(Call, slot.Provider, slot.Probe, 0, slot, streaming: true);
        slot.Attempt = attempt;
        if (attempt.DeadlinePassed)
        {
            Chain.End(Call, attempt, abandoned: true, FailureKind.DeadlineExceeded, slot);
            slot.Expired = true;
            return;
        }

        slot.Stream = new StreamAttempt(attempt, committed: false);
        slot.Task = ProviderStream.FillAsync(Chain, Call, slot.Stream, Call.Messages, slot.Provider.OptionsFor(Call.Options), _rules, slot).AsTask();
    }

    protected override bool Won(RaceSlot slot) => !slot.Expired && slot.Stream!.Failure is null;

    protected override async ValueTask<FailureClassification?> EndAsync(RaceSlot slot)
    {
        if (slot.Expired)
        {
            return null;
        }

        await ProviderStream.CloseAsync(Chain, Call, slot.Stream!, abandoned: false, slot).ConfigureAwait(false);
        return slot.Stream!.Failure;
    }

    protected override async Task CollectAsync(RaceSlot slot)
    {
        try
        {
            await slot.Task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Cancelled as it should be.
        }

        if (slot.Stream is { } stream)
        {
            // What it streamed reached nobody, but the provider bills it.
            stream.Attempt.Chunks += stream.Pending.Count;
            stream.Pending.Clear();
            await ProviderStream.CloseAsync(Chain, Call, stream, abandoned: true, slot).ConfigureAwait(false);
        }

        slot.Settle(Chain.HedgeBudget, slot.Spent);
        slot.Dispose();
    }
}
