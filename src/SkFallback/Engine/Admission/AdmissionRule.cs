using SkFallback.Routing;

namespace SkFallback.Engine.Admission;

/// <summary>
/// One reason a provider may not be tried for a call now. A rule that refuses records why (a skipped attempt) and
/// says so; the walk then passes the provider over, or, for a deferring rule, keeps it for last resort.
/// </summary>
/// <remarks>
/// Add a rule by deriving from this type and listing it in <see cref="AdmissionRules"/>: rules that skip run for
/// every candidate, rules that defer (<see cref="Defers"/>) only before the last-resort pass.
/// </remarks>
internal abstract class AdmissionRule
{
    /// <summary>Gets a value indicating whether a refused provider is kept and tried last, when nothing else is left.</summary>
    public abstract bool Defers { get; }

    /// <summary>Whether <paramref name="provider"/> may be tried for <paramref name="call"/>; <paramref name="probe"/> is set when it is admitted as its breaker's probe.</summary>
    public abstract bool Admit(CallState call, ChainProvider provider, ref bool probe);
}
