using System.Diagnostics;
using System.Runtime.ExceptionServices;
using SkFallback.CircuitBreaking;
using SkFallback.Diagnostics;
using SkFallback.Providers;
using SkFallback.Routing;

namespace SkFallback;

/// <content>One attempt: its clock, its outcome, and what the chain does next.</content>
public sealed partial class FallbackChatClient
{
    private enum Decision
    {
        Retry,
        Next,
        Stop,
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b)
    {
        if (a == Timeout.InfiniteTimeSpan)
        {
            return b;
        }

        return b == Timeout.InfiniteTimeSpan || a < b ? a : b;
    }

    /// <summary>
    /// Starts one attempt: a pooled timeout source linked to the caller's token, and the HTTP observation. The
    /// timer is armed only when the provider makes the call wait (<see cref="Arm"/>).
    /// </summary>
    private AttemptScope BeginAttempt(FallbackCall call, ChainProvider provider, bool probe)
    {
        call.Charged = false;
        call.Chunks = 0;
        var start = call.NextAttemptStart(out var first);
        var source = _tokenSources.Rent();
        var registration = call.CallerToken.CanBeCanceled
            ? call.CallerToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), source)
            : default;
        return new AttemptScope(start, source, registration, BeginExchange(provider), DeadlinePassed: !first && call.DeadlinePassedAt(start), provider, probe);
    }

    /// <summary>Sets the attempt's timer to <paramref name="timeout"/> from the attempt's start, bounded by the chain's deadline.</summary>
    private void Arm(FallbackCall call, CancellationTokenSource source, TimeSpan timeout, long attemptStart)
    {
        var now = _timeProvider.GetTimestamp();
        var left = timeout;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            left = timeout - _timeProvider.GetElapsedTime(attemptStart, now);
            if (left <= TimeSpan.Zero)
            {
                left = TimeSpan.FromTicks(1);
            }
        }

        source.CancelAfter(call.BoundAt(left, now));
    }

    /// <summary>Ends an attempt; a probe that ended without an outcome (the caller left) hands the probe to the next caller.</summary>
    private void EndAttempt(FallbackCall call, AttemptScope attempt, bool armed, bool abandoned, FailureKind abandonedAs = FailureKind.Cancelled)
    {
        if (attempt.Exchange is { } exchange)
        {
            attempt.Provider.RateLimit.Update(exchange.RemainingTokens, exchange.TokensResetAt, exchange.RemainingRequests, exchange.RequestsResetAt);
        }

        if (abandoned && attempt.Probe)
        {
            attempt.Provider.Breaker?.OnAbandoned(probe: true);
        }

        if (abandoned)
        {
            // The caller left mid-attempt: the provider still charges what it processed (nothing, if it was never sent).
            Charge(call, attempt.Provider, abandonedAs, null, call.Chunks);
        }

        EndExchange(attempt.Exchange);
        attempt.Registration.Dispose();
        _tokenSources.Return(attempt.Source, armed);
    }

    private static HttpExchange? BeginExchange(ChainProvider provider)
    {
        if (!provider.ObservesHttp)
        {
            return null;
        }

        var exchange = new HttpExchange();
        HttpExchange.Current = exchange;
        return exchange;
    }

    private static void EndExchange(HttpExchange? exchange)
    {
        if (exchange is not null)
        {
            HttpExchange.Current = null;
        }
    }

    private FailureClassification ClassifyException(Exception ex, FallbackCall call, CancellationTokenSource source, HttpExchange? exchange, bool contentSeen)
    {
        if (ex is OperationCanceledException && source.IsCancellationRequested)
        {
            // Timers may fire a hair early: when the deadline set the timer, the deadline is what fired.
            if (call.DeadlineBinds || call.DeadlinePassed)
            {
                return new(FailureKind.DeadlineExceeded, null, null, $"the chain's deadline of {call.Deadline.TotalMilliseconds:0} ms passed");
            }

            return contentSeen
                ? new(FailureKind.Timeout, null, null, "the attempt timed out")
                : new(FailureKind.FirstTokenTimeout, null, null, "no content before the first-token timeout");
        }

        return FailureClassifier.Classify(ex, exchange, _redactor, _timeProvider.GetUtcNow());
    }

    private void Succeed(FallbackCall call, ChainProvider provider, int retry, AttemptScope attempt, Activity? activity)
    {
        var end = _timeProvider.GetTimestamp();
        var elapsed = _timeProvider.GetElapsedTime(attempt.Start, end);
        provider.Breaker?.OnSuccess();
        provider.Health.Record(elapsed, FailureKind.None, default);
        call.Attempts.Add(new(provider.Name, provider.Model, FailureKind.None, null, elapsed, retry));
        FallbackTelemetry.RecordAttempt(provider.Name, provider.Model, FailureKind.None, elapsed);
        FallbackTelemetry.RecordCall(provider.Name, FailureKind.None, call.ElapsedAt(end));
        Log.Answered(_logger, provider.Name, provider.Model, elapsed.TotalMilliseconds, call.Attempts.Count);
        if (activity is not null)
        {
            activity.SetTag(FallbackTelemetry.ProviderTag, provider.Name);
            activity.SetTag("gen_ai.response.model", provider.Model);
            activity.SetTag(FallbackTelemetry.AttemptCountTag, call.Attempts.Count);
        }
    }

    private void RecordFailure(FallbackCall call, ChainProvider provider, int retry, AttemptScope attempt, FailureClassification failure)
    {
        var elapsed = _timeProvider.GetElapsedTime(attempt.Start);
        provider.Health.Record(elapsed, failure.Kind, _timeProvider.GetUtcNow());
        if (failure.Kind is FailureKind.DeadlineExceeded or FailureKind.Cancelled)
        {
            provider.Breaker?.OnAbandoned(attempt.Probe);
        }
        else
        {
            provider.Breaker?.OnFailure(failure.Kind, attempt.Probe);
        }

        call.Attempts.Add(new(provider.Name, provider.Model, failure.Kind, failure.StatusCode, elapsed, retry, failure.Detail));
        Charge(call, provider, failure.Kind, failure.StatusCode, call.Chunks);

        FallbackTelemetry.RecordAttempt(provider.Name, provider.Model, failure.Kind, elapsed);
        Log.AttemptFailed(_logger, provider.Name, provider.Model, failure.Kind, failure.StatusCode, elapsed.TotalMilliseconds, failure.Detail);
        Activity.Current?.AddEvent(new ActivityEvent("skfallback.attempt_failed", tags: new ActivityTagsCollection
        {
            [FallbackTelemetry.ProviderTag] = provider.Name,
            [FallbackTelemetry.ReasonTag] = FallbackTelemetry.OutcomeName(failure.Kind),
            ["http.response.status_code"] = failure.StatusCode,
        }));
    }

    private async ValueTask<Decision> DecideAsync(FallbackCall call, ChainProvider provider, string? nextProvider, int retry, AttemptScope attempt, FailureClassification failure)
    {
        RecordFailure(call, provider, retry, attempt, failure);

        if (failure.Kind == FailureKind.DeadlineExceeded)
        {
            return Decision.Stop;
        }

        if (failure.Kind == FailureKind.RateLimited)
        {
            var cooldown = failure.RetryAfter ?? _defaultCooldown;
            var until = _timeProvider.GetUtcNow() + cooldown;
            provider.CoolDownUntil(until);
            if (_stateStore is { } store)
            {
                // The breaker fields restate the current state, so a cooldown never moves shared breaker state back.
                var open = provider.Breaker is { State: not CircuitState.Closed } breaker;
                store.Publish(new ProviderStateChange(provider.Key, open ? CircuitState.Open : CircuitState.Closed, provider.Breaker?.OpenUntil ?? default, until, store.ReplicaId));
            }

            Log.CoolingDown(_logger, provider.Name, cooldown.TotalMilliseconds);
        }

        if (failure.Kind == FailureKind.ContextLengthExceeded && provider.ContextWindow is int window)
        {
            call.ContextFloor = Math.Max(call.ContextFloor ?? 0, window);
        }

        if (!_fallbackOn[(int)failure.Kind])
        {
            Log.NotFallingBack(_logger, provider.Name, failure.Kind);
            return Decision.Stop;
        }

        // A provider whose breaker is not closed (a probe, a last resort, or one that just opened) is not retried.
        if (_retryOn[(int)failure.Kind] && retry < provider.MaxRetries && call.RetryBudget > 0
            && (provider.Breaker is null || provider.Breaker.State == CircuitState.Closed))
        {
            var delay = RetryBackoff.Delay(retry, _retryBaseDelay, _retryMaxDelay, Random.Shared.NextDouble());
            var remaining = call.Remaining;
            if (remaining == Timeout.InfiniteTimeSpan || delay < remaining)
            {
                call.RetryBudget--;
                Log.Retrying(_logger, provider.Name, delay.TotalMilliseconds, failure.Kind, retry + 1, call.RetryBudget);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _timeProvider, call.CallerToken).ConfigureAwait(false);
                }

                return Decision.Retry;
            }
        }

        FallbackTelemetry.RecordFallback(provider.Name, failure.Kind);
        if (nextProvider is not null)
        {
            Log.FallingBack(_logger, provider.Name, nextProvider, failure.Kind);
        }

        return Decision.Next;
    }

    private Exception StopWith(FallbackCall call, Activity? activity, FailureClassification failure, bool outputCommitted = false)
    {
        if (failure.Kind == FailureKind.DeadlineExceeded)
        {
            return Exhausted(call, activity, deadline: true);
        }

        // A failure that does not fall back (a caller error) surfaces as the provider's own exception.
        if (!outputCommitted && call.LastException is { } original && !_fallbackOn[(int)failure.Kind])
        {
            activity?.SetStatus(ActivityStatusCode.Error, FallbackTelemetry.OutcomeName(failure.Kind));
            FallbackTelemetry.RecordCall(null, failure.Kind, call.Elapsed);
            ExceptionDispatchInfo.Capture(original).Throw();
        }

        var message = outputCommitted
            ? $"The stream failed with {failure.Kind} after part of the answer was delivered."
            : $"The call failed with {failure.Kind}, which is not configured to fall back.";
        return Fail(call, activity, message, failure.Kind, outputCommitted);
    }

    private Exception Exhausted(FallbackCall call, Activity? activity, bool deadline)
    {
        if (!deadline && call.Attempts.Count > 0 && call.Attempts.TrueForAll(a => a.Skipped) && call.Attempts.Exists(a => a.Outcome == FailureKind.BudgetExceeded))
        {
            // Every candidate was ruled out by a budget (for example by concurrent calls holding the tenant's day).
            var scope = call.TenantLimit is not null ? BudgetScope.Tenant : call.MaxCostScope;
            var left = scope == BudgetScope.Tenant ? 0m : Math.Max(0m, (call.MaxCost ?? 0m) - call.Spent);
            activity?.SetStatus(ActivityStatusCode.Error, "budget exceeded");
            return Unaffordable(call, scope, left, $"No provider can serve this request within its {scope.ToString().ToLowerInvariant()} budget. Nothing was sent.");
        }

        if (deadline && (call.Attempts.Count == 0 || call.Attempts[^1].Outcome != FailureKind.DeadlineExceeded))
        {
            call.Attempts.Add(new("(chain)", string.Empty, FailureKind.DeadlineExceeded, null, call.Elapsed,
                Detail: $"the chain's deadline of {call.Deadline.TotalMilliseconds:0} ms passed", Skipped: true));
        }

        if (!deadline && call.Attempts.Count > 0 && call.Attempts.TrueForAll(a => a.Skipped) && call.Attempts.TrueForAll(a => a.Outcome == FailureKind.Ineligible))
        {
            return Fail(call, activity, $"No provider of the chain is eligible for this request: {string.Join("; ", call.Attempts.Select(a => $"{a.Provider}: {a.Detail}"))}. Nothing was sent.", FailureKind.Ineligible, outputCommitted: false);
        }

        var message = deadline
            ? $"The fallback chain's deadline of {call.Deadline.TotalMilliseconds:0} ms passed after {call.Attempts.Count(a => !a.Skipped)} attempts."
            : $"Every provider in the fallback chain failed ({call.Attempts.Count(a => !a.Skipped)} attempts over {_providers.Length} providers).";
        return Fail(call, activity, message, deadline ? FailureKind.DeadlineExceeded : FailureKind.Unknown, outputCommitted: false);
    }

    private FallbackExhaustedException Fail(FallbackCall call, Activity? activity, string message, FailureKind kind, bool outputCommitted)
    {
        var exception = new FallbackExhaustedException(message, call.Attempts.ToArray(), call.LastException, outputCommitted);
        Log.Exhausted(_logger, call.Attempts.Count, string.Join("; ", call.Attempts));
        FallbackTelemetry.RecordCall(null, kind, call.Elapsed);
        activity?.SetStatus(ActivityStatusCode.Error, message);
        activity?.SetTag(FallbackTelemetry.AttemptCountTag, call.Attempts.Count);
        return exception;
    }
}
