using CsCheck;
using Microsoft.Extensions.Time.Testing;
using SkFallback.CircuitBreaking;

namespace SkFallback.Tests.CircuitBreaking;

/// <summary>Random sequences of requests, outcomes and clock moves against the breaker's invariants.</summary>
public class CircuitBreakerPropertyTests
{
    private static readonly FailureKind[] Kinds =
        [FailureKind.None, FailureKind.ServerError, FailureKind.Timeout, FailureKind.CallerError, FailureKind.Refusal, FailureKind.ConnectionFailure];

    // One step: 0 = a caller asks to enter, 1 = the oldest admitted request reports an outcome, 2 = the clock moves.
    private static readonly Gen<(int Action, int Kind, int Seconds)> Step =
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, Kinds.Length - 1], Gen.Int[0, 40]);

    [Fact]
    public void RandomSequences_KeepTheInvariants()
    {
        Gen.Select(Gen.Int[1, 5], Step.Array[1, 200]).Sample(sample =>
        {
            var (threshold, steps) = sample;
            var time = new FakeTimeProvider();
            var breaker = new CircuitBreaker("p/m", new CircuitBreakerOptions { FailureThreshold = threshold, BreakDuration = TimeSpan.FromSeconds(30), Jitter = 0.2 }, time);
            var inFlight = new Queue<(bool Probe, DateTimeOffset At, bool SentAsProbe)>();
            var consecutiveCounted = 0;

            foreach (var (action, kindIndex, seconds) in steps)
            {
                var before = breaker.State;
                switch (action)
                {
                    case 0:
                        if (breaker.TryEnter(out var probe))
                        {
                            inFlight.Enqueue((probe, time.GetUtcNow(), probe));
                        }

                        break;
                    case 1 when inFlight.Count > 0:
                        var request = inFlight.Dequeue();
                        var wasProbe = request.Probe;
                        var kind = Kinds[kindIndex];
                        var counted = CircuitBreakerOptions.DefaultCountedFailures.Contains(kind);
                        if (kind == FailureKind.None)
                        {
                            breaker.OnSuccess();
                        }
                        else
                        {
                            // Reported as the engine would: with the flag the request was sent with.
                            breaker.OnFailure(kind, request.SentAsProbe);
                        }

                        consecutiveCounted = counted ? consecutiveCounted + 1 : 0;

                        // A probe that answers (or fails in a way that shows the provider is up) always closes it.
                        if (wasProbe && !counted && breaker.State != CircuitState.Closed)
                        {
                            throw new InvalidOperationException($"a probe answered ({kind}) but the breaker is {breaker.State}");
                        }

                        // Opening from closed needs N consecutive counted failures.
                        if (before == CircuitState.Closed && breaker.State == CircuitState.Open && !wasProbe && consecutiveCounted < threshold)
                        {
                            throw new InvalidOperationException($"opened after {consecutiveCounted} consecutive counted failures (threshold {threshold})");
                        }

                        break;
                    default:
                        time.Advance(TimeSpan.FromSeconds(seconds));
                        break;
                }

                // Once the breaker is closed, an earlier probe is an ordinary request: it no longer holds the probe slot.
                if (breaker.State == CircuitState.Closed && inFlight.Any(p => p.Probe))
                {
                    var ordinary = inFlight.Select(p => (false, p.At, p.SentAsProbe)).ToList();
                    inFlight.Clear();
                    ordinary.ForEach(inFlight.Enqueue);
                }

                // Never more than one probe in flight (a probe silent for a whole break counts as abandoned).
                var now = time.GetUtcNow();
                if (inFlight.Count(p => p.Probe && now - p.At < TimeSpan.FromSeconds(30)) > 1)
                {
                    throw new InvalidOperationException("two probes in flight");
                }
            }

        }, iter: 2000);
    }
}
