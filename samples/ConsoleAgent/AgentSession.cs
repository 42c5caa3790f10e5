using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback.SemanticKernel;

namespace ConsoleAgent;

/// <summary>What every turn works with: the chat service over the chain, the kernel and its tools, the history and the spend ledger.</summary>
/// <param name="Chat">The fallback chat service.</param>
/// <param name="Kernel">The kernel, with the travel plugin.</param>
/// <param name="History">The conversation so far.</param>
/// <param name="Filter">The fallback's function-invocation filter: which provider asked for which tool.</param>
/// <param name="Plugin">The travel plugin, which counts its runs.</param>
/// <param name="Spend">The spend ledger reader.</param>
internal sealed record AgentSession(
    IChatCompletionService Chat,
    Kernel Kernel,
    ChatHistory History,
    FallbackFunctionInvocationFilter Filter,
    TravelPlugin Plugin,
    SpendMonitor Spend);
