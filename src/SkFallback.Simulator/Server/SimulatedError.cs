using SkFallback.Simulator.RateLimiting;

namespace SkFallback.Simulator.Server;

/// <summary>An error answer to write in a wire's format.</summary>
/// <param name="Behavior">The error behaviour.</param>
/// <param name="Model">The requested model id.</param>
/// <param name="PromptTokens">The prompt size reported by context-length errors.</param>
/// <param name="ContextWindow">The window reported by context-length errors.</param>
/// <param name="RateLimits">
/// The levels of a rate-limited model (its headers are already set); a 429 then reports them instead of the
/// fixed placeholder headers, and a bucket refusal words its message from <see cref="RateLimitStatus.Refusal"/>.
/// </param>
/// <param name="PresentedKey">The credential the request carried, quoted by <see cref="SimulatedBehavior.UnauthorizedEcho"/>.</param>
internal sealed record SimulatedError(SimulatedBehavior Behavior, string Model, int PromptTokens, int ContextWindow, RateLimitStatus? RateLimits = null, string? PresentedKey = null);
