using Microsoft.Extensions.Logging;

namespace SkFallback.Diagnostics;

/// <summary>SkFallback's log messages (source-generated; nothing is formatted unless the level is enabled).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Provider {Provider} ({Model}) failed with {Reason} (HTTP {StatusCode}) after {ElapsedMs:0} ms: {Detail}")]
    public static partial void AttemptFailed(ILogger logger, string provider, string model, FailureKind reason, int? statusCode, double elapsedMs, string? detail);

    [LoggerMessage(2, LogLevel.Information, "Falling back from {Provider} to {NextProvider} after {Reason}")]
    public static partial void FallingBack(ILogger logger, string provider, string nextProvider, FailureKind reason);

    [LoggerMessage(3, LogLevel.Debug, "Retrying {Provider} in {DelayMs:0} ms after {Reason} (retry {Retry}, {BudgetLeft} left in the call's budget)")]
    public static partial void Retrying(ILogger logger, string provider, double delayMs, FailureKind reason, int retry, int budgetLeft);

    [LoggerMessage(4, LogLevel.Information, "Provider {Provider} is cooling down for {CooldownMs:0} ms after a rate limit")]
    public static partial void CoolingDown(ILogger logger, string provider, double cooldownMs);

    [LoggerMessage(5, LogLevel.Error, "Every provider failed after {AttemptCount} attempts: {Summary}")]
    public static partial void Exhausted(ILogger logger, int attemptCount, string summary);

    [LoggerMessage(6, LogLevel.Debug, "Provider {Provider} ({Model}) answered after {ElapsedMs:0} ms, attempt {AttemptCount}")]
    public static partial void Answered(ILogger logger, string provider, string model, double elapsedMs, int attemptCount);

    [LoggerMessage(7, LogLevel.Warning, "Provider {Provider} uses the moving model alias {Model}; answers may change without notice")]
    public static partial void ModelAlias(ILogger logger, string provider, string model);

    [LoggerMessage(8, LogLevel.Warning, "Provider {Provider} failed with {Reason}, which does not fall back; the call ends with the provider's error")]
    public static partial void NotFallingBack(ILogger logger, string provider, FailureKind reason);

    [LoggerMessage(9, LogLevel.Warning, "Circuit of {ProviderKey} went from {From} to {To} (open until {OpenUntil:O})")]
    public static partial void BreakerTransition(ILogger logger, string providerKey, SkFallback.CircuitBreaking.CircuitState from, SkFallback.CircuitBreaking.CircuitState to, DateTimeOffset openUntil);

    [LoggerMessage(10, LogLevel.Warning, "A call was refused before dispatch: no provider fits its {Scope} budget ({RemainingUsd} USD left; {CandidateCount} candidates considered)")]
    public static partial void BudgetRefused(ILogger logger, BudgetScope scope, decimal remainingUsd, int candidateCount);

    [LoggerMessage(11, LogLevel.Warning, "Provider {Provider} failed with {Reason} after part of the answer was delivered; continuing it on {Next}")]
    public static partial void Continuing(ILogger logger, string provider, string next, FailureKind reason);

    [LoggerMessage(12, LogLevel.Debug, "Provider {Provider} has not answered after {DelayMs:0} ms; hedging on {Hedge}")]
    public static partial void Hedging(ILogger logger, string provider, double delayMs, string hedge);

    [LoggerMessage(13, LogLevel.Debug, "No hedge on {Provider}: {Reason}")]
    public static partial void HedgeRefused(ILogger logger, string provider, string reason);

    [LoggerMessage(14, LogLevel.Debug, "Provider {Provider} won a race of {RacerCount}; the others are cancelled")]
    public static partial void RaceWon(ILogger logger, string provider, int racerCount);

    [LoggerMessage(15, LogLevel.Debug, "Provider {Provider} ({Model}) skipped without a request: {Reason}: {Detail}")]
    public static partial void Skipped(ILogger logger, string provider, string model, FailureKind reason, string detail);

    [LoggerMessage(16, LogLevel.Debug, "Racer {Provider} ({Model}) cancelled: {Detail}")]
    public static partial void RacerCancelled(ILogger logger, string provider, string model, string detail);

    [LoggerMessage(31, LogLevel.Warning, "Configuration: {Problem} It is ignored (WarnOnUnknownKeys is set).")]
    public static partial void UnknownConfigurationKey(ILogger logger, string problem);

    [LoggerMessage(30, LogLevel.Warning, "Provider {Provider} rejected a {Mode} continuation (HTTP {StatusCode}); asking it again with an instructed continuation, as for its later continuations")]
    public static partial void ContinuationModeRejected(ILogger logger, string provider, SkFallback.Streaming.ContinuationMode mode, int? statusCode);

    [LoggerMessage(35, LogLevel.Warning, "Provider {Provider} ({Model}) billed {Reported} output tokens for an allowance of {Allowance}; tenant holds for it now cover {Factor:0.##} × the allowance")]
    public static partial void OutputOverbilled(ILogger logger, string provider, string model, long reported, long allowance, double factor);
}
