using SkFallback.Routing;

namespace SkFallback.Engine.Admission;

/// <summary>The chain's admission rules, in the order they are asked: those that skip, then those that defer.</summary>
internal sealed class AdmissionRules
{
    private readonly AdmissionRule[] _skip;
    private readonly AdmissionRule[] _defer;

    public AdmissionRules(IEnumerable<AdmissionRule> rules)
    {
        var all = rules.ToArray();
        _skip = Array.FindAll(all, r => !r.Defers);
        _defer = Array.FindAll(all, r => r.Defers);
    }

    /// <summary>Whether a skipping rule rules the provider out for this call.</summary>
    public bool Skips(CallState call, ChainProvider provider)
    {
        var probe = false;
        foreach (var rule in _skip)
        {
            if (!rule.Admit(call, provider, ref probe))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the provider may go now; otherwise a deferring rule keeps it for last resort.</summary>
    public bool AdmitsNow(CallState call, ChainProvider provider, out bool probe)
    {
        probe = false;
        foreach (var rule in _defer)
        {
            if (!rule.Admit(call, provider, ref probe))
            {
                return false;
            }
        }

        return true;
    }
}
