using System.ClientModel;
using System.Globalization;
using Anthropic.Exceptions;

namespace SkFallback.Proxy.Wire;

/// <summary>
/// What a chain's exception becomes on the wire: an exhausted chain is 502, 503 or 504 by its last reason with every
/// attempt listed; a budget is 429 <c>insufficient_quota</c> (tenant) or 400 (this call's cap); a provider's caller
/// error keeps its 4xx status. Messages are the library's secret-free ones, with provider keys redacted again.
/// </summary>
internal static class ChainFailure
{
    /// <summary>Maps an exception from a chain.</summary>
    /// <param name="exception">The exception.</param>
    /// <param name="secrets">Provider keys that must never appear in a message.</param>
    /// <returns>The error.</returns>
    public static GatewayError ToError(Exception exception, IReadOnlyCollection<string> secrets)
    {
        switch (exception)
        {
            case GatewayException gateway:
                return gateway.Error;
            case FallbackExhaustedException exhausted:
                var last = LastReason(exhausted.Attempts);
                var (status, code) = last switch
                {
                    FailureKind.Timeout or FailureKind.FirstTokenTimeout or FailureKind.Stalled or FailureKind.DeadlineExceeded => (504, "upstream_timeout"),
                    FailureKind.RateLimited or FailureKind.CoolingDown or FailureKind.CircuitOpen or FailureKind.ServerError => (503, "upstream_unavailable"),
                    _ => (502, "upstream_error"),
                };
                return new GatewayError(status, "api_error", code, null, Redact(
                    string.Create(CultureInfo.InvariantCulture, $"Every provider of the chain failed ({exhausted.Attempts.Count} attempts; last: {last})."), secrets))
                {
                    Attempts = exhausted.Attempts,
                };
            case BudgetExceededException budget when budget.Scope == BudgetScope.Call:
                return new GatewayError(400, "invalid_request_error", "budget_exceeded", RequestKeys.MaxCostHeader,
                    string.Create(CultureInfo.InvariantCulture, $"No provider of the chain can answer within this call's budget (remaining {budget.RemainingUsd:0.######} USD)."))
                {
                    Attempts = budget.Attempts,
                };
            case BudgetExceededException budget:
                return new GatewayError(429, "insufficient_quota", "insufficient_quota", null,
                    string.Create(CultureInfo.InvariantCulture, $"You exceeded your current quota: the {budget.Scope.ToString().ToLowerInvariant()} budget has {budget.RemainingUsd:0.######} USD left, less than this call would cost."))
                {
                    Attempts = budget.Attempts,
                };
            case ClientResultException result when result.Status is >= 400 and < 500:
                return new GatewayError(result.Status, "invalid_request_error", null, null, Redact($"The provider rejected the request: {FirstLine(result.Message)}", secrets));
            case AnthropicApiException anthropic when (int)anthropic.StatusCode is >= 400 and < 500:
                return new GatewayError((int)anthropic.StatusCode, "invalid_request_error", null, null, Redact($"The provider rejected the request: {FirstLine(anthropic.Message)}", secrets));
            case ArgumentException argument:
                return GatewayError.Invalid(null, Redact(FirstLine(argument.Message), secrets), "invalid_value");
            default:
                return new GatewayError(500, "api_error", "internal_error", null, "The gateway failed to process the request.");
        }
    }

    private static FailureKind LastReason(IReadOnlyList<FallbackAttempt> attempts)
    {
        for (var i = attempts.Count - 1; i >= 0; i--)
        {
            if (!attempts[i].Skipped)
            {
                return attempts[i].Outcome;
            }
        }

        return attempts.Count > 0 ? attempts[^1].Outcome : FailureKind.Unknown;
    }

    private static string FirstLine(string message)
    {
        var cut = message.IndexOfAny(['\r', '\n']);
        return cut > 0 ? message[..cut] : message;
    }

    private static string Redact(string message, IReadOnlyCollection<string> secrets)
    {
        foreach (var secret in secrets)
        {
            if (secret.Length >= 4)
            {
                message = message.Replace(secret, "[redacted]", StringComparison.Ordinal);
            }
        }

        return message;
    }
}
