using SkFallback.Cost;
using SkFallback.Routing;

namespace SkFallback.Engine.Admission;

/// <summary>
/// Skips a provider whose context window cannot hold the request: one not larger than a window the call already
/// exceeded, or one the request's estimate does not fit. A cheap bound (every token is at least one UTF-8 byte)
/// clears short requests without running the tokenizer.
/// </summary>
internal sealed class ContextWindowRule(CallPlanner planner, AttemptRecorder recorder) : AdmissionRule
{
    public override bool Defers => false;

    public override bool Admit(CallState call, ChainProvider provider, ref bool probe)
    {
        if (provider.ContextWindow is not int window)
        {
            return true;
        }

        if (call.ContextFloor is int floor && window <= floor)
        {
            recorder.Skipped(call, provider, FailureKind.ContextLengthExceeded, $"context window {window} is not larger than the {floor} that was exceeded");
            return false;
        }

        var output = call.Options?.MaxOutputTokens ?? 0;
        if (call.PromptBound == long.MinValue)
        {
            call.PromptBound = PromptTokenBound.Of(call.Messages, call.Options);
        }

        if (call.PromptBound is var bound and >= 0 && bound + output <= window)
        {
            return true;
        }

        var prompt = planner.RequestOf(call).PromptTokens(provider.Candidate);
        if (prompt + output <= window)
        {
            return true;
        }

        recorder.Skipped(call, provider, FailureKind.ContextLengthExceeded,
            $"estimated {prompt} prompt tokens{(output > 0 ? $" + {output} output" : string.Empty)} exceed its context window of {window}");
        return false;
    }
}
