using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Routing;

namespace SkFallback;

/// <content>
/// Hedged and parallel calls: several candidates race, the first good answer wins, the others are cancelled and
/// charged what they used, and a hedge budget caps how often hedges start and what they may cost.
/// </content>
public sealed partial class FallbackChatClient
{
    private HedgeBudget _hedgeBudget = null!;

    /// <summary>Gets what hedging has done so far: races, hedges started, and what primaries and hedges cost.</summary>
    public HedgingSnapshot Hedging => new(_hedgeBudget.Calls, _hedgeBudget.Hedges, _hedgeBudget.PrimaryCost, _hedgeBudget.HedgeCost);

    /// <summary>The hedging mode of a call: the request's <see cref="FallbackMetadataKeys.Hedging"/>, else the chain's.</summary>
    private HedgingMode HedgingOf(ChatOptions? options)
    {
        if (options?.AdditionalProperties is { Count: > 0 } properties && properties.TryGetValue(FallbackMetadataKeys.Hedging, out var value) && value is not null)
        {
            return value switch
            {
                HedgingMode mode when Enum.IsDefined(mode) => mode,
                string name when Enum.TryParse<HedgingMode>(name, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) => parsed,
                _ => throw new ArgumentException($"The request property '{FallbackMetadataKeys.Hedging}' must be one of {string.Join(", ", Enum.GetNames<HedgingMode>())}; got '{value}'.", nameof(options)),
            };
        }

        return _routing.Hedging.Mode;
    }

    /// <summary>How long a hedged call waits on <paramref name="primary"/> before it starts the next candidate.</summary>
    private TimeSpan HedgeDelay(ChainProvider primary, bool streaming)
    {
        var settings = _routing.Hedging;
        if (settings.DelayFromObservedP95 && (streaming ? primary.Health.FirstTokenP95() : primary.Health.LatencyP95()) is { } observed)
        {
            return observed;
        }

        return settings.Delay;
    }

    /// <summary>One racer: its provider, its own call state, its attempt, and whether it was started as a hedge.</summary>
    private sealed class Racer
    {
        public Racer(ChainProvider provider, bool probe, FallbackCall call, bool hedge, decimal? held)
        {
            Provider = provider;
            Probe = probe;
            Call = call;
            Hedge = hedge;
            Held = held;
            SpentAtFork = call.Spent;
        }

        public ChainProvider Provider { get; }

        public bool Probe { get; }

        public FallbackCall Call { get; }

        public bool Hedge { get; }

        /// <summary>Gets the upper-bound cost a hedge holds against the hedge budget.</summary>
        public decimal? Held { get; }

        public decimal SpentAtFork { get; }

        public long Start { get; set; }

        public Task<SendOutcome> Task { get; set; } = null!;

        /// <summary>Gets or sets a value indicating whether the coordinator has taken the racer's outcome.</summary>
        public bool Ended { get; set; }

        public string Role => Hedge ? "hedge" : "primary";
    }

    /// <summary>
    /// A non-streaming race: starts the primary (and, in parallel mode, the next candidates at once; in hedged mode,
    /// each next one after the hedge delay), returns the first good answer, and cancels the rest. When every racer
    /// failed it returns <see langword="null"/> and the chain goes on from <see cref="Walk"/>.
    /// </summary>
    private sealed class ResponseRace
    {
        private readonly FallbackChatClient _owner;
        private readonly FallbackCall _call;
        private readonly IEnumerable<ChatMessage> _messages;
        private readonly ChatOptions? _options;
        private readonly HedgingMode _mode;
        private readonly Activity? _activity;
        private readonly List<Racer> _racers = new(2);
        private readonly CancellationTokenSource _race;

        public ResponseRace(FallbackChatClient owner, FallbackCall call, ChainWalk walk, IEnumerable<ChatMessage> messages, ChatOptions? options, HedgingMode mode, Activity? activity)
        {
            _owner = owner;
            _call = call;
            Walk = walk;
            _messages = messages;
            _options = options;
            _mode = mode;
            _activity = activity;
            _race = CancellationTokenSource.CreateLinkedTokenSource(call.CallerToken);
        }

        /// <summary>The rest of the chain, past the candidates the race took.</summary>
        public ChainWalk Walk;

        public async Task<ChatResponse?> RunAsync()
        {
            var owner = _owner;
            var settings = owner._routing.Hedging;
            owner._hedgeBudget.OnCall();
            if (!TryStart(hedge: false))
            {
                Release();
                return null;
            }

            var hedgesLeft = settings.MaxAttempts - 1;
            while (_mode == HedgingMode.Parallel && hedgesLeft > 0 && TryStart(hedge: true))
            {
                hedgesLeft--;
            }

            if (_mode == HedgingMode.Parallel)
            {
                hedgesLeft = 0;
            }

            Task? timer = null;
            var waiting = new List<Task>(settings.MaxAttempts + 1);
            while (true)
            {
                waiting.Clear();
                foreach (var racer in _racers)
                {
                    if (!racer.Ended)
                    {
                        waiting.Add(racer.Task);
                    }
                }

                if (waiting.Count == 0)
                {
                    // Every racer failed: the chain goes on one candidate at a time, at once.
                    Release();
                    return null;
                }

                if (timer is null && hedgesLeft > 0)
                {
                    timer = Task.Delay(owner.HedgeDelay(_racers[0].Provider, streaming: false), owner._timeProvider, _race.Token);
                }

                if (timer is not null)
                {
                    waiting.Add(timer);
                }

                var done = await Task.WhenAny(waiting).ConfigureAwait(false);
                if (done == timer)
                {
                    timer = null;
                    hedgesLeft = TryStart(hedge: true) ? hedgesLeft - 1 : 0;
                    continue;
                }

                var finished = _racers.Find(r => r.Task == done)!;
                finished.Ended = true;
                SendOutcome outcome;
                try
                {
                    outcome = await finished.Task.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_call.CallerToken.IsCancellationRequested)
                {
                    Abandon();
                    throw;
                }

                if (outcome.Response is { } response)
                {
                    return Win(finished, outcome, response);
                }

                if (outcome.Expired)
                {
                    Abandon();
                    throw owner.Exhausted(_call, _activity, deadline: true);
                }

                var decision = await owner.DecideAsync(finished.Call, finished.Provider, null, 0, outcome.Attempt, outcome.Failure).ConfigureAwait(false);
                owner.SettleRacer(finished);
                if (decision == Decision.Stop)
                {
                    Abandon();
                    throw owner.StopWith(_call, _activity, outcome.Failure);
                }
            }
        }

        /// <summary>Takes the next candidate from the walk and starts it; a hedge must first fit the hedge budget.</summary>
        private bool TryStart(bool hedge)
        {
            var owner = _owner;
            while (Walk.TryNext(out var provider, out var probe))
            {
                decimal? held = null;
                if (hedge)
                {
                    held = _call.Routing?.UpperBoundUsd(provider.Candidate, owner._budget.ReserveMargin);
                    if (owner._hedgeBudget.TryTake(held) is { } reason)
                    {
                        // Not lost: the chain tries it in turn if the race fails.
                        Walk.GiveBack(provider, probe);
                        Log.HedgeRefused(owner._logger, provider.Name, reason);
                        FallbackTelemetry.RecordRacer(provider.Name, "refused", won: false);
                        return false;
                    }

                    if (!owner._hedgeBudget.CapsCost)
                    {
                        held = null;
                    }
                }

                var racer = new Racer(provider, probe, _call.Fork(_race.Token), hedge, held);
                if (!owner.Reserve(racer.Call, provider))
                {
                    // The tenant's budget cannot hold it: recorded as skipped, and the next candidate is asked.
                    _call.Attempts.AddRange(racer.Call.Attempts);
                    if (hedge)
                    {
                        owner._hedgeBudget.SettleHedge(held, 0m);
                    }

                    continue;
                }

                if (hedge && _racers.Count > 0)
                {
                    var primary = _racers[0];
                    Log.Hedging(owner._logger, primary.Provider.Name, owner._timeProvider.GetElapsedTime(primary.Start).TotalMilliseconds, provider.Name);
                }

                racer.Start = owner._timeProvider.GetTimestamp();
                racer.Task = owner.SendAsync(racer.Call, provider, probe, _messages, OptionsFor(_options, provider)).AsTask();
                _racers.Add(racer);
                return true;
            }

            return false;
        }

        private bool AnyRunning()
        {
            foreach (var racer in _racers)
            {
                if (!racer.Ended)
                {
                    return true;
                }
            }

            return false;
        }

        private ChatResponse Win(Racer winner, SendOutcome outcome, ChatResponse response)
        {
            var owner = _owner;
            var call = winner.Call;
            owner.Succeed(call, winner.Provider, 0, outcome.Attempt, _activity);
            owner.Charge(call, winner.Provider, FailureKind.None, 200, call.Routing is not null && response.Usage is null ? Cost.TokenEstimator.CountText(winner.Provider.Candidate.Family, response.Text) : 0);
            owner.SettleRacer(winner);
            Log.RaceWon(owner._logger, winner.Provider.Name, _racers.Count);
            Abandon(winner);
            Annotate(response, winner.Provider, _call);
            if (_call.Routing is not null || _call.LastCost is not null)
            {
                AnnotateCost(response.AdditionalProperties!, _call, winner.Provider);
            }

            return response;
        }

        /// <summary>
        /// Ends the race: cancels the racers still running and records them as cancelled, joins every racer's record
        /// into the call in the order they started, and leaves the losers to be charged when they stop.
        /// </summary>
        private void Abandon(Racer? winner = null)
        {
            List<Task>? losers = null;
            foreach (var racer in _racers)
            {
                if (racer.Ended)
                {
                    _call.Join(racer.Call, racer.SpentAtFork, racer == winner);
                    FallbackTelemetry.RecordRacer(racer.Provider.Name, racer.Role, won: racer == winner);
                    continue;
                }

                var elapsed = _owner._timeProvider.GetElapsedTime(racer.Start);
                var reason = winner is null ? "cancelled: the race ended" : $"lost the race to {winner.Provider.Name}; cancelled";
                _call.Attempts.Add(new(racer.Provider.Name, racer.Provider.Model, FailureKind.Cancelled, null, elapsed, Detail: reason));
                FallbackTelemetry.RecordRacer(racer.Provider.Name, racer.Role, won: false);
                (losers ??= []).Add(_owner.CollectLoserAsync(racer));
            }

            _racers.Clear();
            _race.Cancel();
            if (losers is null)
            {
                _race.Dispose();
            }
            else
            {
                _ = DisposeAfterAsync(losers, _race);
            }
        }

        /// <summary>Ends a race every racer of which has ended (or that started none): joins their records.</summary>
        private void Release()
        {
            foreach (var racer in _racers)
            {
                _call.Join(racer.Call, racer.SpentAtFork, winner: false);
                FallbackTelemetry.RecordRacer(racer.Provider.Name, racer.Role, won: false);
            }

            _racers.Clear();

            // Stops a pending hedge timer; nothing else listens any more.
            _race.Cancel();
            _race.Dispose();
        }

        private static async Task DisposeAfterAsync(List<Task> losers, CancellationTokenSource race)
        {
            await Task.WhenAll(losers).ConfigureAwait(false);
            race.Dispose();
        }
    }

    /// <summary>A racer's cost is known: a primary's earns the hedge budget its share; a hedge's settles what it held.</summary>
    private void SettleRacer(Racer racer)
    {
        var cost = racer.Call.Spent - racer.SpentAtFork;
        if (racer.Hedge)
        {
            _hedgeBudget.SettleHedge(racer.Held, cost);
        }
        else
        {
            _hedgeBudget.OnPrimaryCost(cost);
        }
    }

    /// <summary>
    /// Waits for a cancelled racer to stop, then settles what it cost. An attempt that ended before it saw the
    /// cancellation is charged here: an answer that came after the race was won is billed by its provider.
    /// </summary>
    private async Task CollectLoserAsync(Racer racer)
    {
        try
        {
            var outcome = await racer.Task.ConfigureAwait(false);
            if (outcome.Response is not null)
            {
                racer.Provider.Breaker?.OnSuccess();
                Charge(racer.Call, racer.Provider, FailureKind.Cancelled, 200, 0);
            }
            else
            {
                racer.Provider.Breaker?.OnAbandoned(racer.Probe);
                Charge(racer.Call, racer.Provider, outcome.Failure.Kind, outcome.Failure.StatusCode, 0);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            // A cancelled racer ends with its cancellation; its attempt already charged what it used.
        }
        catch (Exception ex)
        {
            Log.AttemptFailed(_logger, racer.Provider.Name, racer.Provider.Model, FailureKind.Unknown, null, _timeProvider.GetElapsedTime(racer.Start).TotalMilliseconds, _redactor.Redact(ex.Message));
        }

        SettleRacer(racer);
    }
}
