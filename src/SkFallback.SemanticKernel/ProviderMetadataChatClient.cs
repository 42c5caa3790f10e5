using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SkFallback.SemanticKernel;

/// <summary>
/// Sits between Semantic Kernel's function-invoking client and the fallback chain and copies the chain's
/// "who answered" metadata (<see cref="FallbackMetadataKeys"/>) to where Semantic Kernel looks for it.
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
            if (!string.IsNullOrEmpty(update.MessageId))
            {
                messageId ??= update.MessageId;
            }

            if (update.AdditionalProperties is { } properties && properties.ContainsKey(FallbackMetadataKeys.Provider))
            {
                answeredBy = properties;

                // Updates without a message id put their properties on the response rather than on the message when
                // the function-invoking client rebuilds the message; give the chain's trailer the answer's id.
                if (string.IsNullOrEmpty(update.MessageId) && messageId is not null)
                {
                    update.MessageId = messageId;
                }
            }

            if (answeredBy is not null)
            {
                StampCalls(update.Contents, answeredBy);
            }

            yield return update;
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

    private static void Copy(AdditionalPropertiesDictionary source, AdditionalPropertiesDictionary target, string key)
    {
        if (source.TryGetValue(key, out var value))
        {
            target[key] = value;
        }
    }
}
