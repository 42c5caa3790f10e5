using Microsoft.Extensions.Logging;

namespace SkFallback.SemanticKernel.Diagnostics;

/// <summary>Log messages of the Semantic Kernel integration (source-generated).</summary>
internal static partial class KernelLog
{
    [LoggerMessage(101, LogLevel.Information, "Provider {Provider} ({Model}) asked for function {Function} in round trip {Iteration}")]
    public static partial void FunctionRequested(ILogger logger, string provider, string? model, string function, int iteration);

    [LoggerMessage(102, LogLevel.Debug, "Keeping the tool loop on provider {Provider} for the next round trip of this turn")]
    public static partial void Pinned(ILogger logger, string provider);

    [LoggerMessage(103, LogLevel.Warning, "The turn's budget of {LimitUsd} USD is spent ({SpentUsd} USD over {Calls} model calls); the tool loop ends before {Function}")]
    public static partial void TurnBudgetSpent(ILogger logger, decimal limitUsd, decimal spentUsd, int calls, string function);
}
