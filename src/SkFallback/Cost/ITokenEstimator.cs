using Microsoft.Extensions.AI;

namespace SkFallback.Cost;

/// <summary>Estimates the tokens a chat request will be charged for before it is sent, and learns from the usage providers report.</summary>
public interface ITokenEstimator
{
    /// <summary>Estimates the prompt (input) tokens of a request against a model, including message overhead, tool schemas and images.</summary>
    /// <param name="model">The model id the request goes to; it selects the encoding and the correction.</param>
    /// <param name="messages">The messages of the request.</param>
    /// <param name="options">The request options (tools are counted), or <see langword="null"/>.</param>
    /// <returns>The estimated prompt tokens, at least 1.</returns>
    int EstimatePromptTokens(string model, IEnumerable<ChatMessage> messages, ChatOptions? options = null);

    /// <summary>Estimates the output tokens a request may produce: <see cref="ChatOptions.MaxOutputTokens"/> when set, otherwise the learned average for the model.</summary>
    /// <param name="model">The model id.</param>
    /// <param name="options">The request options, or <see langword="null"/>.</param>
    /// <returns>The estimated output tokens.</returns>
    int EstimateOutputTokens(string model, ChatOptions? options = null);

    /// <summary>Feeds back the usage a provider reported for a request whose prompt was estimated, so that the model's correction and output average converge.</summary>
    /// <param name="model">The model id the request went to.</param>
    /// <param name="estimatedPromptTokens">The value <see cref="EstimatePromptTokens"/> returned for the request.</param>
    /// <param name="reportedInputTokens">The input tokens the provider reported.</param>
    /// <param name="reportedOutputTokens">The output tokens the provider reported, if any.</param>
    void Observe(string model, int estimatedPromptTokens, long reportedInputTokens, long? reportedOutputTokens);
}
