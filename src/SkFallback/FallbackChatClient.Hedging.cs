using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Routing;
using SkFallback.Streaming;

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

    /// <summary>A racer's cost is known: a primary's earns the hedge budget its share; a hedge's settles what it held.</summary>
    private void Settle(Racer racer, decimal costUsd)
    {
        if (racer.Hedge)
        {
            _hedgeBudget.SettleHedge(racer.Held, costUsd);
        }
        else
        {
            _hedgeBudget.OnPrimaryCost(costUsd);
        }
    }

    /// <summary>
    /// One racer: its provider, its own call state (forked from the call, cancelled by its own token, which the
    /// caller's cancels too), and whether it was started as a hedge.
    /// </summary>
    private sealed class Racer : IDisposable
    {
        private readonly CancellationTokenSource _token;
        private bool _settled;

        public Racer(ChainProvider provider, bool probe, FallbackCall parent, bool hedge, decimal? held)
        {
            Provider = provider;
            Probe = probe;
            Hedge = hedge;
            Held = held;
            _token = CancellationTokenSource.CreateLinkedTokenSource(parent.CallerToken);
            Call = parent.Fork(_token.Token);
            SpentAtFork = Call.Spent;
        }

        public ChainProvider Provider { get; }

        public bool Probe { get; }

        public FallbackCall Call { get; }

        public bool Hedge { get; }

        /// <summary>Gets the upper-bound cost a hedge holds against the hedge budget (under a cost cap).</summary>
        public decimal? Held { get; }

        public decimal SpentAtFork { get; }

        public long Start { get; set; }

        /// <summary>Gets or sets the racer's work: it completes when the racer has an outcome.</summary>
        public Task Task { get; set; } = Task.CompletedTask;

        /// <summary>Gets or sets a value indicating whether the race has taken the racer's outcome.</summary>
        public bool Ended { get; set; }

        /// <summary>Gets or sets a value indicating whether the chain's deadline had passed when the racer was to start.</summary>
        public bool Expired { get; set; }

        /// <summary>Gets or sets a non-streaming racer's outcome.</summary>
        public SendOutcome Outcome { get; set; }

        /// <summary>Gets or sets a streaming racer's attempt.</summary>
        public StreamAttempt? Stream { get; set; }

        public string Role => Hedge ? "hedge" : "primary";

        public void Cancel() => _token.Cancel();

        /// <summary>The call takes over the winning stream: the racer's usage, reservation and charge state move to it.</summary>
        public void Adopt(FallbackCall call)
        {
            call.TakeAttempt(Call);
            Stream!.Call = call;
        }

        /// <summary>Settles the racer's cost against the hedge budget, once.</summary>
        public void Settle(FallbackChatClient owner, decimal costUsd)
        {
            if (!_settled)
            {
                _settled = true;
                owner.Settle(this, costUsd);
            }
        }

        public void Dispose() => _token.Dispose();
    }

    /// <summary>
    /// A race: starts the primary (and, in parallel mode, the next candidates at once; in hedged mode, each next one
    /// after the hedge delay) and ends when one wins, with the others cancelled and left to be charged when they
    /// stop; or when every racer failed, and the chain goes on from <see cref="Walk"/>.
    /// </summary>
    private abstract class Race
    {
        private readonly HedgingMode _mode;
        private readonly bool _streaming;

        protected Race(FallbackChatClient owner, FallbackCall call, ChainWalk walk, IEnumerable<ChatMessage> messages, ChatOptions? options, HedgingMode mode, Activity? activity, bool streaming)
        {
            Owner = owner;
            Call = call;
            Walk = walk;
            Messages = messages;
            Options = options;
            _mode = mode;
            Activity = activity;
            _streaming = streaming;
        }

        /// <summary>The rest of the chain, past the candidates the race took.</summary>
        public ChainWalk Walk;

        protected FallbackChatClient Owner { get; }

        protected FallbackCall Call { get; }

        protected IEnumerable<ChatMessage> Messages { get; }

        protected ChatOptions? Options { get; }

        protected Activity? Activity { get; }

        protected List<Racer> Racers { get; } = new(2);

        /// <summary>Runs the race: the winner (the others cancelled), or <see langword="null"/> when every racer failed.</summary>
        public async Task<Racer?> RunAsync()
        {
            var owner = Owner;
            var settings = owner._routing.Hedging;
            owner._hedgeBudget.OnCall();
            if (!TryStart(hedge: false))
            {
                return null;
            }

            var hedgesLeft = settings.MaxAttempts - 1;
            if (_mode == HedgingMode.Parallel)
            {
                while (hedgesLeft > 0 && TryStart(hedge: true))
                {
                    hedgesLeft--;
                }

                hedgesLeft = 0;
            }

            using var timerSource = hedgesLeft > 0 ? new CancellationTokenSource() : null;
            Task? timer = null;
            var waiting = new List<Task>(settings.MaxAttempts + 1);
            try
            {
                while (true)
                {
                    waiting.Clear();
                    foreach (var racer in Racers)
                    {
                        if (!racer.Ended)
                        {
                            waiting.Add(racer.Task);
                        }
                    }

                    if (waiting.Count == 0)
                    {
                        // Every racer failed: the chain goes on one candidate at a time, at once.
                        Abandon(winner: null);
                        return null;
                    }

                    if (timer is null && hedgesLeft > 0)
                    {
                        timer = Task.Delay(owner.HedgeDelay(Racers[0].Provider, _streaming), owner._timeProvider, timerSource!.Token);
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

                    var finished = Racers.Find(r => r.Task == done)!;
                    try
                    {
                        await finished.Task.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (Call.CallerToken.IsCancellationRequested)
                    {
                        // The caller left: every racer, this one included, is cancelled and charged when it stops.
                        Abandon(winner: null);
                        throw;
                    }

                    finished.Ended = true;
                    if (Won(finished))
                    {
                        Abandon(finished);
                        return finished;
                    }

                    if (await EndAsync(finished).ConfigureAwait(false) is not { } failure)
                    {
                        Abandon(winner: null);
                        throw owner.Exhausted(Call, Activity, deadline: true);
                    }

                    var decision = await owner.DecideAsync(finished.Call, finished.Provider, null, 0, AttemptOf(finished), failure).ConfigureAwait(false);
                    finished.Settle(owner, finished.Call.Spent - finished.SpentAtFork);
                    if (decision == Decision.Stop)
                    {
                        Abandon(winner: null);
                        throw owner.StopWith(Call, Activity, failure);
                    }
                }
            }
            finally
            {
                if (timer is { IsCompleted: false })
                {
                    // Synchronously: the timer's callback is cheap, and an asynchronous cancel would make the caller wait for the thread pool.
                    timerSource!.Cancel();
                }
            }
        }

        /// <summary>Starts the racer's work (sets <see cref="Racer.Task"/>).</summary>
        protected abstract void Start(Racer racer);

        /// <summary>Whether a racer whose work completed won.</summary>
        protected abstract bool Won(Racer racer);

        /// <summary>Ends a racer that failed: its failure, or <see langword="null"/> when it could not start for the deadline.</summary>
        protected abstract ValueTask<FailureClassification?> EndAsync(Racer racer);

        protected abstract AttemptScope AttemptOf(Racer racer);

        /// <summary>Waits for a cancelled racer to stop, ends its attempt, charges what it used and settles it.</summary>
        protected abstract Task CollectAsync(Racer racer);

        /// <summary>Takes the next candidate from the walk and starts it; a hedge must first fit the hedge budget.</summary>
        private bool TryStart(bool hedge)
        {
            var owner = Owner;
            while (Walk.TryNext(out var provider, out var probe))
            {
                decimal? held = null;
                if (hedge)
                {
                    held = Call.Routing?.UpperBoundUsd(provider.Candidate, owner._budget.ReserveMargin);
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

                var racer = new Racer(provider, probe, Call, hedge, held);
                if (!owner.Reserve(racer.Call, provider))
                {
                    // The tenant's budget cannot hold it: recorded as skipped, and the next candidate is asked.
                    Call.Attempts.AddRange(racer.Call.Attempts);
                    racer.Settle(owner, 0m);
                    racer.Dispose();
                    continue;
                }

                if (hedge && Racers.Count > 0)
                {
                    var primary = Racers[0];
                    Log.Hedging(owner._logger, primary.Provider.Name, owner._timeProvider.GetElapsedTime(primary.Start).TotalMilliseconds, provider.Name);
                }

                racer.Start = owner._timeProvider.GetTimestamp();
                Start(racer);
                Racers.Add(racer);
                return true;
            }

            return false;
        }

        /// <summary>
        /// Ends the race: cancels the racers still running and records them as cancelled (they are charged when they
        /// stop), and joins the records of those that ended into the call, in the order they started. The winner's
        /// own record comes last, when its answer is complete.
        /// </summary>
        private void Abandon(Racer? winner)
        {
            foreach (var racer in Racers)
            {
                if (racer == winner)
                {
                    FallbackTelemetry.RecordRacer(racer.Provider.Name, racer.Role, won: true);
                    continue;
                }

                FallbackTelemetry.RecordRacer(racer.Provider.Name, racer.Role, won: false);
                if (racer.Ended)
                {
                    Call.Join(racer.Call, racer.SpentAtFork);
                    racer.Dispose();
                    continue;
                }

                racer.Cancel();
                var elapsed = Owner._timeProvider.GetElapsedTime(racer.Start);
                var reason = winner is null ? "cancelled: the race ended" : $"lost the race to {winner.Provider.Name}; cancelled";
                Call.Attempts.Add(new(racer.Provider.Name, racer.Provider.Model, FailureKind.Cancelled, null, elapsed, Detail: reason));
                _ = CollectAsync(racer);
            }

            if (winner is not null)
            {
                Log.RaceWon(Owner._logger, winner.Provider.Name, Racers.Count);
            }

            Racers.Clear();
        }
    }

    /// <summary>A non-streaming race: the first good answer wins.</summary>
    private sealed class ResponseRace : Race
    {
        public ResponseRace(FallbackChatClient owner, FallbackCall call, ChainWalk walk, IEnumerable<ChatMessage> messages, ChatOptions? options, HedgingMode mode, Activity? activity)
            : base(owner, call, walk, messages, options, mode, activity, streaming: false)
        {
        }

        /// <summary>Runs the race: the winner's answer, charged and annotated, or <see langword="null"/> when every racer failed.</summary>
        public async Task<ChatResponse?> AnswerAsync()
        {
            if (await RunAsync().ConfigureAwait(false) is not { } winner)
            {
                return null;
            }

            // The call takes the winner's attempt over and completes it as the chain completes any answer.
            var owner = Owner;
            var response = winner.Outcome.Response!;
            Call.Join(winner.Call, winner.SpentAtFork);
            Call.TakeAttempt(winner.Call);
            var spentBefore = Call.Spent;
            owner.Succeed(Call, winner.Provider, 0, winner.Outcome.Attempt, Activity);
            owner.Complete(Call, winner.Provider, response);
            winner.Settle(owner, Call.Spent - spentBefore);
            winner.Dispose();
            return response;
        }

        protected override void Start(Racer racer) => racer.Task = SendAsync(racer);

        protected override bool Won(Racer racer) => racer.Outcome.Response is not null;

        protected override ValueTask<FailureClassification?> EndAsync(Racer racer) =>
            ValueTask.FromResult<FailureClassification?>(racer.Outcome.Expired ? null : racer.Outcome.Failure);

        protected override AttemptScope AttemptOf(Racer racer) => racer.Outcome.Attempt;

        protected override async Task CollectAsync(Racer racer)
        {
            var owner = Owner;
            try
            {
                await racer.Task.ConfigureAwait(false);

                // It ended before it saw the cancellation: an answer is billed by its provider; a failure by its kind.
                var outcome = racer.Outcome;
                if (outcome.Response is not null)
                {
                    racer.Provider.Breaker?.OnSuccess();
                    owner.Charge(racer.Call, racer.Provider, FailureKind.Cancelled, 200, 0);
                }
                else
                {
                    racer.Provider.Breaker?.OnAbandoned(racer.Probe);
                    owner.Charge(racer.Call, racer.Provider, outcome.Failure.Kind, outcome.Failure.StatusCode, 0);
                }
            }
            catch (OperationCanceledException)
            {
                // Cancelled as it should be; its attempt charged what it used.
            }

            racer.Settle(owner, racer.Call.Spent - racer.SpentAtFork);
            racer.Dispose();
        }

        private async Task SendAsync(Racer racer) =>
            racer.Outcome = await Owner.SendAsync(racer.Call, racer.Provider, racer.Probe, Messages, OptionsFor(Options, racer.Provider)).ConfigureAwait(false);
    }

    /// <summary>A streaming race: the first stream to commit (or to end well before it) wins; what the losers held never reaches the caller.</summary>
    private sealed class StreamRace : Race
    {
        private readonly StreamRules _rules;

        public StreamRace(FallbackChatClient owner, FallbackCall call, ChainWalk walk, IEnumerable<ChatMessage> messages, ChatOptions? options, HedgingMode mode, Activity? activity, StreamRules rules)
            : base(owner, call, walk, messages, options, mode, activity, streaming: true)
        {
            _rules = rules;
        }

        protected override void Start(Racer racer)
        {
            var owner = Owner;
            var scope = owner.BeginAttempt(racer.Call, racer.Provider, racer.Probe);
            racer.Stream = new StreamAttempt(racer.Call, racer.Provider, racer.Probe, scope, committed: false);
            if (scope.DeadlinePassed)
            {
                owner.EndAttempt(racer.Call, scope, armed: false, abandoned: true, FailureKind.DeadlineExceeded);
                racer.Stream = null;
                racer.Expired = true;
                return;
            }

            racer.Task = owner.FillAsync(racer.Stream, Messages, OptionsFor(Options, racer.Provider), _rules).AsTask();
        }

        protected override bool Won(Racer racer) => !racer.Expired && racer.Stream!.Failure is null;

        protected override async ValueTask<FailureClassification?> EndAsync(Racer racer)
        {
            if (racer.Expired)
            {
                return null;
            }

            await Owner.CloseAsync(racer.Stream!, abandoned: false).ConfigureAwait(false);
            return racer.Stream!.Failure;
        }

        protected override AttemptScope AttemptOf(Racer racer) => racer.Stream!.Attempt;

        protected override async Task CollectAsync(Racer racer)
        {
            var owner = Owner;
            try
            {
                await racer.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Cancelled as it should be.
            }

            if (racer.Stream is { } stream)
            {
                // What it streamed reached nobody, but the provider bills it.
                stream.Chunks += stream.Pending.Count;
                stream.Pending.Clear();
                await owner.CloseAsync(stream, abandoned: true).ConfigureAwait(false);
            }

            racer.Settle(owner, racer.Call.Spent - racer.SpentAtFork);
            racer.Dispose();
        }
    }
}
