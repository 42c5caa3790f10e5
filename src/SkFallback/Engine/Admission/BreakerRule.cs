using SkFallback.Routing;

namespace SkFallback.Engine.Admission;

/// <summary>Asks the provider's breaker for admission: an open breaker defers the provider; a half-open one admits one probe.</summary>
internal sealed class BreakerRule(AttemptRecorder recorder) : AdmissionRule
{
    public override bool Defers => true;

    public override bool Admit(CallState call, ChainProvider provider, ref bool probe)
    {
        var breaker = provider.Breaker;
        if (breaker is null || breaker.TryEnter(out probe))
        {
            return true;
        }

        recorder.Skipped(call, provider, FailureKind.CircuitOpen,
            $"circuit {breaker.State.ToString().ToLowerInvariant()} until {breaker.OpenUntil:HH:mm:ss.fff}; tried last if nothing else answers");
        return false;
    }
}
