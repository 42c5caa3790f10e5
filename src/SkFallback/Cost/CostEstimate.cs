namespace SkFallback.Cost;

/// <summary>What a call to a model costs (or is expected to cost), in US dollars, from its token counts and the catalog price.</summary>
/// <param name="Model">The model id the price was taken for.</param>
/// <param name="PromptTokens">The prompt (input) tokens, cached ones included.</param>
/// <param name="CachedPromptTokens">The prompt tokens billed at the cached-input price.</param>
/// <param name="OutputTokens">The output tokens.</param>
/// <param name="InputUsd">The cost of the prompt tokens.</param>
/// <param name="OutputUsd">The cost of the output tokens.</param>
public sealed record CostEstimate(string Model, long PromptTokens, long CachedPromptTokens, long OutputTokens, decimal InputUsd, decimal OutputUsd)
{
    /// <summary>Gets the total cost: <see cref="InputUsd"/> + <see cref="OutputUsd"/>.</summary>
    public decimal TotalUsd => InputUsd + OutputUsd;
}
