using SkFallback.CircuitBreaking;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>What the chain does after a failed attempt.</summary>
internal enum NextStep
{
    /// <summary>Send the same provider again after <see cref="RetryDecision.Delay"/>.</summary>
    Retry,

    /// <summary>Move on to the next provider.</summary>
    Next,

    /// <summary>End the call with this failure.</summary>
    Stop,
}

/// <summary>A decision, with the backoff before a retry.</summary>
internal readonly record struct RetryDecision(NextStep Step, TimeSpan Delay = default);

/// <summary>
/// Decides, without side effects, what follows a failure: which kinds fall back (<c>FallbackOn</c>), which are
/// retried on the same provider first (<c>RetryOn</c>) within the per-provider limit, the call's retry budget and
/// its deadline, with jittered exponential backoff.
/// </summary>
internal sealed class RetryDecider
{
    private readonly bool[] _fallbackOn;
    private readonly bool[] _retryOn;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;

    public RetryDecider(IEnumerable<FailureKind> fallbackOn, IEnumerable<FailureKind> retryOn, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        _fallbackOn = KindTable(fallbackOn);
        _retryOn = KindTable(retryOn);
        _baseDelay = baseDelay;
        _maxDelay = maxDelay;
    }

    /// <summary>Whether a failure of this kind moves on to the next provider (never the caller's cancellation or a missed deadline).</summary>
    public bool FallsBack(FailureKind kind) => _fallbackOn[(int)kind];

    /// <summary>Decides what follows <paramref name="failure"/> of <paramref name="provider"/>'s <paramref name="retry"/>-th retry; <paramref name="jitter"/> is in [0, 1).</summary>
    public RetryDecision Decide(FailureClassification failure, ChainProvider provider, int retry, int retryBudget, TimeSpan remaining, double jitter)
    {
        if (failure.Kind == FailureKind.DeadlineExceeded || !_fallbackOn[(int)failure.Kind])
        {
            return new(NextStep.Stop);
        }

        // A provider whose breaker is not closed (a probe, a last resort, or one that just opened) is not retried.
        if (_retryOn[(int)failure.Kind] && retry < provider.MaxRetries && retryBudget > 0
            && (provider.Breaker is null || provider.Breaker.State == CircuitState.Closed))
        {
            var delay = RetryBackoff.Delay(retry, _baseDelay, _maxDelay, jitter);
            if (remaining == Timeout.InfiniteTimeSpan || delay < remaining)
            {
                return new(NextStep.Retry, delay);
            }
        }

        return new(NextStep.Next);
    }

    private static bool[] KindTable(IEnumerable<FailureKind> kinds)
    {
        var table = new bool[Enum.GetValues<FailureKind>().Length];
        foreach (var kind in kinds)
        {
            if ((int)kind >= 0 && (int)kind < table.Length)
            {
                table[(int)kind] = true;
            }
        }

        // Never fall back on the caller's own cancellation or on a missed deadline.
        table[(int)FailureKind.Cancelled] = false;
        table[(int)FailureKind.DeadlineExceeded] = false;
        return table;
    }
}
