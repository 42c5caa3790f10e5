namespace SkFallback.Simulator.Server;

/// <summary>An error answer to write in a wire's format.</summary>
internal sealed record SimulatedError(SimulatedBehavior Behavior, string Model, int PromptTokens, int ContextWindow);
