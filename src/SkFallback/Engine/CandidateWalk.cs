using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>
/// Walks the chain for one call: the preferred provider first, then the routing policy's order (or the chain's),
/// over the admission rules. Providers a skipping rule refuses are passed over; providers a deferring rule refuses
/// (an open breaker, a full rate-limit window) are not lost: they come last, when nothing else is left.
/// </summary>
internal struct CandidateWalk
{
    private readonly ChainProvider[] _providers;
    private readonly Admission.AdmissionRules _rules;
    private readonly CallState _call;
    private readonly int _preferred;
    private readonly IReadOnlyList<int>? _route;
    private readonly int _length;
    private ChainProvider[]? _deferred;
    private int _deferredCount;
    private int _step;
    private ChainProvider? _returned;
    private bool _returnedProbe;

    public CandidateWalk(ChainProvider[] providers, Admission.AdmissionRules rules, CallState call, int preferred)
    {
        _providers = providers;
        _rules = rules;
        _call = call;
        _route = call.Plan?.Route;
        _length = _route?.Count ?? providers.Length;

        // With a policy's route, the preferred provider moves to the front of the route (if the route has it).
        _preferred = _route is null || preferred < 0 ? preferred : IndexIn(_route, preferred);
    }

    public bool TryNext(out ChainProvider provider, out bool probe)
    {
        if (_returned is not null)
        {
            provider = _returned;
            probe = _returnedProbe;
            _returned = null;
            return true;
        }

        while (_step < _length + _deferredCount)
        {
            var step = _step++;
            var lastResort = step >= _length;
            provider = lastResort ? _deferred![step - _length] : _providers[At(step)];
            if (_rules.Skips(_call, provider))
            {
                continue;
            }

            probe = false;
            if (!lastResort && !_rules.AdmitsNow(_call, provider, out probe))
            {
                (_deferred ??= new ChainProvider[_providers.Length])[_deferredCount++] = provider;
                continue;
            }

            return true;
        }

        provider = null!;
        probe = false;
        return false;
    }

    /// <summary>Gives back the provider <see cref="TryNext"/> just returned, unused (a hedge the budget refused): the next <see cref="TryNext"/> returns it again.</summary>
    public void GiveBack(ChainProvider provider, bool probe)
    {
        _returned = provider;
        _returnedProbe = probe;
    }

    /// <summary>The provider the walk would try next in chain order (for the log line of a fallback).</summary>
    public readonly string? NextName() =>
        _returned?.Name ?? (_step < _length ? _providers[At(_step)].Name : null);

    /// <summary>The chain position of the provider tried at <paramref name="step"/>: the preferred one first, then the rest in order.</summary>
    private static int Order(int step, int preferred) =>
        preferred <= 0 ? step : step == 0 ? preferred : step <= preferred ? step - 1 : step;

    private readonly int At(int step)
    {
        var position = Order(step, _preferred);
        return _route is null ? position : _route[position];
    }

    private static int IndexIn(IReadOnlyList<int> route, int index)
    {
        for (var i = 0; i < route.Count; i++)
        {
            if (route[i] == index)
            {
                return i;
            }
        }

        return -1;
    }
}
