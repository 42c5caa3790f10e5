using Microsoft.Extensions.AI;

namespace SkFallback.Streaming;

/// <summary>Builds the request that asks a provider to continue an answer another provider left unfinished.</summary>
internal static class ContinuationRequestBuilder
{
    /// <summary>Builds the continuation request for a provider that supports <paramref name="mode"/>.</summary>
    /// <param name="messages">The caller's conversation, as sent to the provider that broke off.</param>
    /// <param name="options">The caller's options; copied, never changed.</param>
    /// <param name="delivered">The answer text the caller already received.</param>
    /// <param name="mode">What the next provider supports.</param>
    /// <returns>The messages and options to send, and how to trim the answer.</returns>
    /// <remarks>
    /// When <paramref name="delivered"/> holds no visible text the answer is simply asked again (the original
    /// messages, mode <see cref="ContinuationMode.Instructed"/>, whitespace trimming only). The options are copied
    /// unchanged: the caller's output limit still applies to the continuation alone.
    /// </remarks>
    public static ContinuationRequest Build(IEnumerable<ChatMessage> messages, ChatOptions? options, string delivered, ContinuationMode mode)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(delivered);
        var list = new List<ChatMessage>(messages);
        var copy = options?.Clone();
        if (delivered.AsSpan().IsWhiteSpace())
        {
            return new ContinuationRequest { Messages = list, Options = copy, Mode = ContinuationMode.Instructed, Delivered = delivered };
        }

        switch (mode)
        {
            case ContinuationMode.AssistantPrefill:
                // Anthropic rejects a final assistant message that ends in whitespace; the model writes it again.
                var prefill = delivered.TrimEnd();
                list.Add(new ChatMessage(ChatRole.Assistant, prefill));
                return new ContinuationRequest { Messages = list, Options = copy, Mode = mode, Delivered = delivered, Prefix = prefill };

            case ContinuationMode.PrefixCompletion:
            case ContinuationMode.PrefixCompletionEchoed:
                list.Add(PrefixMessage(delivered));
                return new ContinuationRequest
                {
                    Messages = list,
                    Options = copy,
                    Mode = mode,
                    Delivered = delivered,
                    Prefix = delivered,
                    ExpectedEcho = mode == ContinuationMode.PrefixCompletionEchoed ? delivered : string.Empty,
                };

            case ContinuationMode.Instructed:
                list.Add(new ChatMessage(ChatRole.User, ContinuationPrompt.Build(delivered)));
                return new ContinuationRequest { Messages = list, Options = copy, Mode = mode, Delivered = delivered, DetectRepetition = true };

            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown continuation mode.");
        }
    }

    /// <summary>
    /// A final assistant message carrying <c>"prefix": true</c>. The OpenAI adapter of Microsoft.Extensions.AI sends a
    /// message's <see cref="ChatMessage.RawRepresentation"/> as is when it is an OpenAI SDK message, and the SDK's
    /// JSON patch adds the field it does not model; <see cref="ChatMessage.AdditionalProperties"/> are not sent.
    /// </summary>
    internal static ChatMessage PrefixMessage(string prefix)
    {
        var raw = new OpenAI.Chat.AssistantChatMessage(prefix);
#pragma warning disable SCME0001 // JsonPatch is marked for evaluation; it is the SDK's only way to add a message field.
        raw.Patch.Set("$.prefix"u8, true);
#pragma warning restore SCME0001
        return new ChatMessage(ChatRole.Assistant, prefix) { RawRepresentation = raw };
    }
}
