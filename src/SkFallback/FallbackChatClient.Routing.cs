using Microsoft.Extensions.AI;
using SkFallback.Routing;

namespace SkFallback;

/// <content>Which provider comes next: the preferred one, then the chain order, past cooldowns, open breakers and full rate-limit windows.</content>
public sealed partial class FallbackChatClient
{
    /// <summary>The chain position of the provider tried at <paramref name="step"/>: the preferred one first, then the rest in order.</summary>
    private static int Order(int step, int preferred) =>
        preferred <= 0 ? step : step == 0 ? preferred : step <= preferred ? step - 1 : step;

    /// <summary>
    /// Walks the chain for one call: the preferred provider first, then the rest in order, passing over providers
    /// that are cooling down. Providers whose breaker is open, or whose rate-limit window cannot take the request,
    /// are not lost: they come last, when nothing else is left.
    /// </summary>
    private struct ChainWalk
    {
        private readonly FallbackChatClient _owner;
        private readonly FallbackCall _call;
        private readonly int _preferred;
        private readonly IEnumerable<ChatMessage> _messages;
        private readonly ChatOptions? _options;
        private readonly IReadOnlyList<int>? _route;
        private readonly int _length;
        private ChainProvider[]? _deferred;
        private int _deferredCount;
        private int _step;
        private ChainProvider? _returned;
        private bool _returnedProbe;

        public ChainWalk(FallbackChatClient owner, FallbackCall call, int preferred, IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            _owner = owner;
            _call = call;
            _messages = messages;
            _options = options;
            _route = call.Route;
            _length = _route?.Count ?? owner._providers.Length;

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

            var providers = _owner._providers;
            while (_step < _length + _deferredCount)
            {
                var step = _step++;
                var lastResort = step >= _length;
                provider = lastResort ? _deferred![step - _length] : providers[At(step)];
                if (_owner.ShouldSkip(_call, provider, _messages, _options))
                {
                    continue;
                }

                probe = false;
                if (!lastResort && (_owner.WouldExceedRateLimit(_call, provider, _messages, _options) || !Admit(_call, provider, out probe)))
                {
                    (_deferred ??= new ChainProvider[providers.Length])[_deferredCount++] = provider;
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
            _returned?.Name ?? (_step < _length ? _owner._providers[At(_step)].Name : null);

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

    /// <summary>
    /// Finds the provider a caller asked to start with (<see cref="FallbackMetadataKeys.PreferProvider"/>); the hint is
    /// removed from the options with every other SkFallback key before a provider sees them (<see cref="Plan"/>).
    /// </summary>
    private int PreferredIndex(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } properties
            || !properties.TryGetValue(FallbackMetadataKeys.PreferProvider, out var value))
        {
            return -1;
        }

        if (value is string name)
        {
            for (var i = 0; i < _providers.Length; i++)
            {
                if (string.Equals(_providers[i].Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    private static ChatOptions? OptionsFor(ChatOptions? options, ChainProvider provider)
    {
        // A model id from the caller names one provider's model; every provider is pinned to its own.
        if (options?.ModelId is null || string.Equals(options.ModelId, provider.Model, StringComparison.Ordinal))
        {
            return options;
        }

        var copy = options.Clone();
        copy.ModelId = provider.Model;
        return copy;
    }

    /// <summary>
    /// Whether the provider's last rate-limit headers say this request would not fit before its window resets;
    /// such a provider is deferred to the end of the chain instead of being sent a request it would refuse with 429.
    /// </summary>
    private bool WouldExceedRateLimit(FallbackCall call, ChainProvider provider, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (!provider.RateLimit.Known)
        {
            return false;
        }

        // Counted once per encoding and call, corrected per model.
        var needed = RequestOf(call, messages, options).PromptTokens(provider.Candidate) + (options?.MaxOutputTokens ?? provider.MaxOutputTokens ?? 0);
        if (!provider.RateLimit.WouldExceed(needed, _timeProvider.GetUtcNow(), out var reason))
        {
            return false;
        }

        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.CoolingDown, null, TimeSpan.Zero,
            Detail: $"rate limit: {reason}; tried last if nothing else answers", Skipped: true));
        return true;
    }

    /// <summary>Asks the provider's breaker for admission; an open breaker defers the provider to the end of the chain.</summary>
    private static bool Admit(FallbackCall call, ChainProvider provider, out bool probe)
    {
        probe = false;
        var breaker = provider.Breaker;
        if (breaker is null || breaker.TryEnter(out probe))
        {
            return true;
        }

        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.CircuitOpen, null, TimeSpan.Zero,
            Detail: $"circuit {breaker.State.ToString().ToLowerInvariant()} until {breaker.OpenUntil:HH:mm:ss.fff}; tried last if nothing else answers", Skipped: true));
        return false;
    }

    private bool ShouldSkip(FallbackCall call, ChainProvider provider, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var now = provider.EverCooledDown ? _timeProvider.GetUtcNow() : default;
        if (provider.EverCooledDown && provider.IsCoolingDown(now, out var until))
        {
            call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.CoolingDown, null, TimeSpan.Zero,
                Detail: $"rate limited; skipped for another {(until - now).TotalMilliseconds:0} ms", Skipped: true));
            return true;
        }

        if (call.ContextFloor is int floor && provider.ContextWindow is int window && window <= floor)
        {
            call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.ContextLengthExceeded, null, TimeSpan.Zero,
                Detail: $"context window {window} is not larger than the {floor} that was exceeded", Skipped: true));
            return true;
        }

        return !FitsContextWindow(call, provider, messages, options) || !FitsBudget(call, provider);
    }
}
