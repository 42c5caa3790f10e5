namespace SkFallback.SemanticKernel;

/// <summary>One function call a model asked for during an automatic tool loop, and which provider asked for it.</summary>
/// <param name="Provider">The name of the chain provider whose answer contained the call; <c>(unknown)</c> when the answer did not come through a fallback chain.</param>
/// <param name="Model">The pinned model id of that provider, when known.</param>
/// <param name="PluginName">The plugin of the function, when it has one.</param>
/// <param name="FunctionName">The function's name within its plugin.</param>
/// <param name="Iteration">The 0-based model round trip of the turn that asked for the call.</param>
/// <param name="FunctionIndex">The 0-based position of the call among the calls of that round trip.</param>
/// <param name="CallId">The provider's id of the call, when it has one.</param>
/// <param name="Timestamp">When the call was about to run.</param>
public sealed record FunctionCallRecord(
    string Provider,
    string? Model,
    string? PluginName,
    string FunctionName,
    int Iteration,
    int FunctionIndex,
    string? CallId,
    DateTimeOffset Timestamp);
