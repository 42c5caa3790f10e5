using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using SkFallback.Diagnostics;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>
/// How a call that gets no answer ends: one exception listing every attempt (<see cref="FallbackExhaustedException"/>,
/// <see cref="BudgetExceededException"/>), or the provider's own error for a failure that does not fall back.
/// </summary>
internal sealed class ChainFailures
{
    private readonly ILogger _logger;
    private readonly RetryDecider _retry;
    private readonly int _providerCount;
    private readonly AttemptRecorder _recorder;
    private readonly SecretRedactor _redactor;
    private readonly bool _exposeProviderExceptions;

    public ChainFailures(ILogger logger, RetryDecider retry, int providerCount, AttemptRecorder recorder, SecretRedactor redactor, bool exposeProviderExceptions)
    {
        _redactor = redactor;
        _exposeProviderExceptions = exposeProviderExceptions;
        _logger = logger;
        _retry = retry;
        _providerCount = providerCount;
        _recorder = recorder;
    }

    /// <summary>The call ends on a failure that does not go on: the deadline, a caller error (rethrown as the provider's), or a stream that cannot be continued.</summary>
    public Exception StopWith(CallState call, Activity? activity, FailureClassification failure, bool outputCommitted = false)
    {
        if (failure.Kind == FailureKind.DeadlineExceeded)
        {
            return Exhausted(call, activity, deadline: true);
        }

        // A failure that does not fall back (a caller error) surfaces as the provider's own exception, so callers can
        // catch the SDK's type; when its text carries a credential, as a redacted ProviderException unless opted out.
        if (!outputCommitted && call.LastException is { } original && !_retry.FallsBack(failure.Kind))
        {
            activity?.SetStatus(ActivityStatusCode.Error, FallbackTelemetry.OutcomeName(failure.Kind));
            activity?.SetTag(FallbackTelemetry.ErrorTypeTag, FallbackTelemetry.OutcomeName(failure.Kind));
            _recorder.CallFailed(failure.Kind, call.Elapsed);
            if (_exposeProviderExceptions || !_redactor.Carries(original))
            {
                ExceptionDispatchInfo.Capture(original).Throw();
            }

            return Redacted(call, original)!;
        }

        var message = outputCommitted
            ? $"The stream failed with {failure.Kind} after part of the answer was delivered."
            : $"The call failed with {failure.Kind}, which is not configured to fall back.";
        return Fail(call, activity, message, failure.Kind, outputCommitted);
    }

    /// <summary>No provider is left: every one failed, was ruled out by a budget or is ineligible, or the deadline passed.</summary>
    public Exception Exhausted(CallState call, Activity? activity, bool deadline)
    {
        var attempts = call.Attempts;
        if (!deadline && attempts.Count > 0 && attempts.TrueForAll(a => a.Skipped) && attempts.Exists(a => a.Outcome == FailureKind.BudgetExceeded))
        {
            // Every candidate was ruled out by a budget (for example by concurrent calls holding the tenant's day).
            var plan = call.Plan;
            var scope = plan?.TenantLimit is not null ? BudgetScope.Tenant : plan?.MaxCostScope ?? BudgetScope.Call;
            var left = scope == BudgetScope.Tenant ? 0m : Math.Max(0m, (plan?.MaxCost ?? 0m) - call.Spent);
            activity?.SetStatus(ActivityStatusCode.Error, "budget exceeded");
            activity?.SetTag(FallbackTelemetry.ErrorTypeTag, FallbackTelemetry.OutcomeName(FailureKind.BudgetExceeded));
            return Unaffordable(call, scope, left, $"No provider can serve this request within its {scope.ToString().ToLowerInvariant()} budget. Nothing was sent.");
        }

        if (deadline && (attempts.Count == 0 || attempts[^1].Outcome != FailureKind.DeadlineExceeded))
        {
            attempts.Add(new("(chain)", string.Empty, FailureKind.DeadlineExceeded, null, call.Elapsed,
                Detail: $"the chain's deadline of {call.Deadline.TotalMilliseconds:0} ms passed", Skipped: true));
        }

        if (!deadline && attempts.Count > 0 && attempts.TrueForAll(a => a.Skipped) && attempts.TrueForAll(a => a.Outcome == FailureKind.Ineligible))
        {
            return Fail(call, activity, $"No provider of the chain is eligible for this request: {string.Join("; ", attempts.Select(a => $"{a.Provider}: {a.Detail}"))}. Nothing was sent.", FailureKind.Ineligible, outputCommitted: false);
        }

        var message = deadline
            ? $"The fallback chain's deadline of {call.Deadline.TotalMilliseconds:0} ms passed after {attempts.Count(a => !a.Skipped)} attempts."
            : $"Every provider in the fallback chain failed ({attempts.Count(a => !a.Skipped)} attempts over {_providerCount} providers).";
        return Fail(call, activity, message, deadline ? FailureKind.DeadlineExceeded : FailureKind.Unknown, outputCommitted: false);
    }

    /// <summary>A call no provider can serve within its budget, refused before anything was sent.</summary>
    public BudgetExceededException Unaffordable(CallState call, BudgetScope scope, decimal left, string message)
    {
        Log.BudgetRefused(_logger, scope, left, call.Attempts.Count);
        _recorder.CallFailed(FailureKind.BudgetExceeded, call.Elapsed);
        return new BudgetExceededException(message, scope, left, call.Attempts.ToArray());
    }

    /// <summary>The provider's exception as the caller may see it: as it is when opted in, otherwise with its text redacted.</summary>
    private Exception? Redacted(CallState call, Exception? original)
    {
        if (original is null || _exposeProviderExceptions)
        {
            return original;
        }

        FallbackAttempt? last = null;
        foreach (var attempt in call.Attempts)
        {
            last = !attempt.Skipped && attempt.Outcome != FailureKind.None ? attempt : last;
        }

        return _redactor.Wrap(original, last?.Provider, last?.Outcome ?? FailureKind.Unknown, last?.StatusCode);
    }

    private FallbackExhaustedException Fail(CallState call, Activity? activity, string message, FailureKind kind, bool outputCommitted)
    {
        var exception = new FallbackExhaustedException(message, call.Attempts.ToArray(), Redacted(call, call.LastException), outputCommitted);
        Log.Exhausted(_logger, call.Attempts.Count, string.Join("; ", call.Attempts));
        _recorder.CallFailed(kind, call.Elapsed);
        activity?.SetStatus(ActivityStatusCode.Error, message);
        activity?.SetTag(FallbackTelemetry.ErrorTypeTag, FallbackTelemetry.OutcomeName(kind));
        activity?.SetTag(FallbackTelemetry.AttemptCountTag, call.Attempts.Count);
        return exception;
    }
}
