using System.Collections.ObjectModel;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Services;

namespace SkFallback.SemanticKernel;

/// <summary>
/// A Semantic Kernel <see cref="IChatCompletionService"/> whose model round trips go through a fallback chain. The
/// kernel's function-calling loop runs above the chain, so each round trip is protected on its own and a provider
/// failure in the middle of a tool loop never runs a function twice.
/// </summary>
/// <remarks>
/// Every returned <see cref="ChatMessageContent"/> (and the first and last chunk of each streamed answer) carries, in
/// <see cref="KernelContent.Metadata"/>, the provider and model that answered and the attempts made
/// (<see cref="FallbackMetadataKeys"/>). Kernel functions are offered to the model as usual, through
/// <see cref="PromptExecutionSettings.FunctionChoiceBehavior"/>, and the kernel's
/// <see cref="IAutoFunctionInvocationFilter"/>s run for each call. When the fallback client has a
/// <see cref="SkFallback.Caching.SemanticCacheChatClient"/> above the chain (<c>AddFallbackChatCompletion(..., useCache: true)</c>),
/// an answer served from the cache also carries <see cref="SkFallback.Caching.CacheMetadataKeys.Hit"/> and names the
/// provider and model that originally produced it, with an empty attempt list.
/// </remarks>
public sealed class FallbackChatCompletionService : IChatCompletionService
{
    /// <summary>The <see cref="Attributes"/> key under which the chain's provider names are listed, in order (<see cref="string"/>, comma-separated).</summary>
    public const string ProvidersKey = "skfallback.providers";

    private readonly IChatCompletionService _inner;

    /// <summary>Initializes a new instance of the <see cref="FallbackChatCompletionService"/> class.</summary>
    /// <param name="fallbackClient">
    /// The fallback chain: a <see cref="FallbackChatClient"/>, possibly under middleware of its own. It is not disposed
    /// by this service.
    /// </param>
    /// <param name="services">Services for function invocation and logging (a kernel's or the application's); none by default.</param>
    public FallbackChatCompletionService(IChatClient fallbackClient, IServiceProvider? services = null)
    {
        ArgumentNullException.ThrowIfNull(fallbackClient);

        // Function invocation on top, the chain at the bottom: one function run per call, one chain call per round trip.
        // A turn budget above the loop, so every round trip of one turn draws from the same budget.
        var pipeline = new ChatClientBuilder(fallbackClient)
            .Use(inner => new SkFallback.Cost.TurnBudgetChatClient(inner))
            .UseKernelFunctionInvocation()
            .Use(inner => new ProviderMetadataChatClient(inner))
            .Build(services);
        _inner = pipeline.AsChatCompletionService(services);

        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (fallbackClient.GetService<ChatClientMetadata>() is { } metadata)
        {
            if (metadata.DefaultModelId is { } modelId)
            {
                attributes[AIServiceExtensions.ModelIdKey] = modelId;
            }

            if (metadata.ProviderUri is { } endpoint)
            {
                attributes[AIServiceExtensions.EndpointKey] = endpoint.ToString();
            }
        }

        if (fallbackClient.GetService<FallbackChatClient>() is { } chain)
        {
            attributes[ProvidersKey] = string.Join(',', chain.ProviderNames);
        }

        Health = fallbackClient.GetService<SkFallback.Health.IProviderHealth>();

        Attributes = new ReadOnlyDictionary<string, object?>(attributes);
    }

    /// <summary>Gets the live health of the chain's providers (breaker states, error rates, latency), when the chain reports it.</summary>
    public SkFallback.Health.IProviderHealth? Health { get; }

    /// <summary>Gets the service's attributes: the first provider's model id (<see cref="AIServiceExtensions.ModelIdKey"/>) and the chain's provider names (<see cref="ProvidersKey"/>).</summary>
    public IReadOnlyDictionary<string, object?> Attributes { get; }

    /// <inheritdoc />
    public Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(
        ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null,
        Kernel? kernel = null,
        CancellationToken cancellationToken = default) =>
        _inner.GetChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(
        ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null,
        Kernel? kernel = null,
        CancellationToken cancellationToken = default) =>
        _inner.GetStreamingChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken);
}
