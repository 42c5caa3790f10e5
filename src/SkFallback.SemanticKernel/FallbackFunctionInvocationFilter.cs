using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;
using SkFallback.SemanticKernel.Diagnostics;

namespace SkFallback.SemanticKernel;

/// <summary>
/// Records which provider asked for which function during automatic function calling, and keeps a turn's tool loop
/// on the provider that asked for the call: the next round trips of the turn try that provider first (the rest of the
/// chain still follows when it fails).
/// </summary>
/// <remarks>
/// Registered by <c>AddFallbackChatCompletion</c>. The provider is read from the function call (or its message), where
/// <see cref="FallbackChatCompletionService"/> puts it; calls answered by other services are recorded as
/// <see cref="UnknownProvider"/> and do not pin anything.
/// </remarks>
public sealed class FallbackFunctionInvocationFilter : IAutoFunctionInvocationFilter
{
    /// <summary>The provider name recorded when the answer did not say which provider produced it.</summary>
    public const string UnknownProvider = "(unknown)";

    /// <summary>The number of records kept; older ones are dropped first.</summary>
    public const int Capacity = 1024;

    private readonly Lock _gate = new();
    private readonly Queue<FunctionCallRecord> _calls = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    /// <summary>Initializes a new instance of the <see cref="FallbackFunctionInvocationFilter"/> class.</summary>
    /// <param name="loggerFactory">The logger factory; none by default.</param>
    /// <param name="timeProvider">The clock for record timestamps; <see cref="TimeProvider.System"/> by default.</param>
    public FallbackFunctionInvocationFilter(ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FallbackFunctionInvocationFilter>();
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets a snapshot of the recorded calls, oldest first (at most <see cref="Capacity"/>).</summary>
    public IReadOnlyList<FunctionCallRecord> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>Forgets every recorded call.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _calls.Clear();
        }
    }

    /// <inheritdoc />
    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);

        var (provider, model) = AnsweredBy(context);
        var record = new FunctionCallRecord(
            provider ?? UnknownProvider,
            model,
            context.Function.PluginName,
            context.Function.Name,
            context.RequestSequenceIndex,
            context.FunctionSequenceIndex,
            context.ToolCallId,
            _timeProvider.GetUtcNow());
        lock (_gate)
        {
            if (_calls.Count == Capacity)
            {
                _calls.Dequeue();
            }

            _calls.Enqueue(record);
        }

        KernelLog.FunctionRequested(_logger, record.Provider, model, QualifiedName(record), record.Iteration);

        // A spent turn budget ends the loop here, with a result that says so, instead of a refused round trip.
        if (context.Options?.AdditionalProperties is { } turnProperties
            && turnProperties.TryGetValue(FallbackMetadataKeys.TurnBudget, out var value) && value is SkFallback.Cost.TurnBudget turn
            && turn.CannotAffordNextCall)
        {
            var message = $"The turn's budget of {turn.LimitUsd:0.######} USD is spent ({turn.SpentUsd:0.######} USD over {turn.Calls} model calls" +
                (turn.CheapestCallUsd is { } nextCall ? $"; the next call would cost at least {nextCall:0.######} USD" : string.Empty) +
                $"), so the tool loop ended before running {QualifiedName(record)}.";
            context.Result = new FunctionResult(context.Function, message);
            context.Terminate = true;
            turn.Stop(message);
            KernelLog.TurnBudgetSpent(_logger, turn.LimitUsd, turn.SpentUsd, turn.Calls, QualifiedName(record));
            return;
        }

        // The turn's options travel to its next round trips: ask the chain to start where this call came from.
        if (provider is not null && context.Options is { } options)
        {
            (options.AdditionalProperties ??= [])[FallbackMetadataKeys.PreferProvider] = provider;
            KernelLog.Pinned(_logger, provider);
        }

        await next(context).ConfigureAwait(false);
    }

    private static (string? Provider, string? Model) AnsweredBy(AutoFunctionInvocationContext context)
    {
        if (context.CallContent?.AdditionalProperties is { } call && Read(call, FallbackMetadataKeys.Provider) is { } provider)
        {
            return (provider, Read(call, FallbackMetadataKeys.Model));
        }

        if (context.ChatMessageContent?.Metadata is { } metadata
            && metadata.TryGetValue(FallbackMetadataKeys.Provider, out var value) && value is string fromMessage)
        {
            return (fromMessage, metadata.TryGetValue(FallbackMetadataKeys.Model, out var m) ? m as string : null);
        }

        return (null, null);
    }

    private static string? Read(AdditionalPropertiesDictionary properties, string key) =>
        properties.TryGetValue(key, out var value) ? value as string : null;

    private static string QualifiedName(FunctionCallRecord record) =>
        string.IsNullOrEmpty(record.PluginName) ? record.FunctionName : $"{record.PluginName}.{record.FunctionName}";
}
