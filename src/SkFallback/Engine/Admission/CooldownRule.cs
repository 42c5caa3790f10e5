using SkFallback.Routing;

namespace SkFallback.Engine.Admission;

/// <summary>Skips a provider that is cooling down after a rate limit (its <c>Retry-After</c> has not passed).</summary>
internal sealed class CooldownRule(TimeProvider timeProvider, AttemptRecorder recorder) : AdmissionRule
{
    public override bool Defers => false;

    public override bool Admit(CallState call, ChainProvider provider, ref bool probe)
    {
        // A provider that never cooled down needs no clock read.
        if (!provider.EverCooledDown)
        {
            return true;
        }

        var now = timeProvider.GetUtcNow();
        if (!provider.IsCoolingDown(now, out var until))
        {
            return true;
        }

        recorder.Skipped(call, provider, FailureKind.CoolingDown, $"rate limited; skipped for another {(until - now).TotalMilliseconds:0} ms");
        return false;
    }
}
