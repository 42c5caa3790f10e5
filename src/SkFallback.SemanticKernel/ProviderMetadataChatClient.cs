using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SkFallback.Caching;

namespace SkFallback.SemanticKernel;

/// <summary>
/// Sits between Semantic Kernel's function-invoking client and the fallback chain (or the response cache above it) and
/// copies the "who answered" metadata (<see cref="FallbackMetadataKeys"/>, and <see cref="CacheMetadataKeys"/> on a cache
/// hit) to where Semantic Kernel looks for it.
/// </summary>
/// <remarks>
/// The chain annotates the <see cref="ChatResponse"/> (and the first and last updates of a stream), but Semantic
/// Kernel builds <c>ChatMessageContent.Metadata</c> from each <see cref="ChatMessage"/>'s own properties, and the
/// function-invocation filters see only the last message and the <see cref="FunctionCallContent"/>. So the keys are
/// copied onto every answer message and onto every function call, which then says which provider asked for it.
/// </remarks>
internal sealed class ProviderMetadataChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        if (response.AdditionalProperties is not { } properties || !properties.ContainsKey(FallbackMetadataKeys.Provider))
        {
            return response;
        }

        foreach (var message in response.Messages)
        {
            var target = message.AdditionalProperties ??= [];
            Copy(properties, target, FallbackMetadataKeys.Provider);
            Copy(properties, target, FallbackMetadataKeys.Model);
            Copy(properties, target, FallbackMetadataKeys.Attempts);
            Copy(properties, target, FallbackMetadataKeys.CostUsd);
            Copy(properties, target, FallbackMetadataKeys.EstimatedCostUsd);
            CopyCacheKeys(properties, target);
            StampCalls(message.Contents, properties);
        }

        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        AdditionalPropertiesDictionary? answeredBy = null;
        string? messageId = null;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            var outgoing = update;
            if (!string.IsNullOrEmpty(update.MessageId))
            {
                messageId ??= update.MessageId;
            }

            if (update.AdditionalProperties is { } properties && properties.ContainsKey(FallbackMetadataKeys.Provider))
            {
                answeredBy = properties;

                // Updates without a message id put their properties on the response rather than on the message when
                // the function-invoking client rebuilds the message; give the chain's trailer the answer's id. On a copy:
                // the response cache below keeps the original updates and stores them as the chain sent them.
                if (string.IsNullOrEmpty(update.MessageId) && messageId is not null)
                {
                    outgoing = update.Clone();
                    outgoing.MessageId = messageId;
                }
            }

            if (answeredBy is not null)
            {
                StampCalls(outgoing.Contents, answeredBy);
            }

            yield return outgoing;
        }
    }

    private static void StampCalls(IList<AIContent> contents, AdditionalPropertiesDictionary answeredBy)
    {
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is FunctionCallContent call)
            {
                var target = call.AdditionalProperties ??= [];
                Copy(answeredBy, target, FallbackMetadataKeys.Provider);
                Copy(answeredBy, target, FallbackMetadataKeys.Model);
            }
        }
    }

    /// <summary>An answer served from the response cache says so, and when and for how much it was first produced.</summary>
    private static void CopyCacheKeys(AdditionalPropertiesDictionary source, AdditionalPropertiesDictionary target)
    {
        if (!source.ContainsKey(CacheMetadataKeys.Hit))
        {
            return;
        }

        Copy(source, target, CacheMetadataKeys.Hit);
        Copy(source, target, CacheMetadataKeys.Similarity);
        Copy(source, target, CacheMetadataKeys.CachedAt);
        Copy(source, target, CacheMetadataKeys.SavedCostUsd);
    }

    private static void Copy(AdditionalPropertiesDictionary source, AdditionalPropertiesDictionary target, string key)
    {
        if (source.TryGetValue(key, out var value))
        {
            target[key] = value;
        }
    }
}
