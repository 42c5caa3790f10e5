using SkFallback.Cost;
using SkFallback.Routing;

namespace SkFallback.Engine.Admission;

/// <summary>Skips a provider whose estimate no longer fits what is left of the call's budget (after earlier attempts were charged).</summary>
internal sealed class CallBudgetRule(AttemptRecorder recorder) : AdmissionRule
{
    public override bool Defers => false;

    public override bool Admit(CallState call, ChainProvider provider, ref bool probe)
    {
        if (call.Plan is not { MaxCost: { } max, Routing: { } request })
        {
            return true;
        }

        if (CallBudget.Fits(call, request, provider.Candidate, out var estimate))
        {
            return true;
        }

        recorder.Skipped(call, provider, FailureKind.BudgetExceeded, estimate is null
            ? "no catalog price, so its cost cannot be bounded under a budget"
            : $"estimated {estimate:0.######} USD, {Math.Max(0m, max - call.Spent):0.######} USD left");
        return false;
    }
}
