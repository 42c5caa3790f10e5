using Microsoft.Extensions.AI;

namespace SkFallback.Caching;

/// <summary>Replays a cached answer to a streaming caller as a stream of updates.</summary>
internal static class CachedAnswerReplay
{
    /// <summary>Splits a cached answer into updates the way a provider streams: role and metadata first, text in small pieces, finish reason and metadata last.</summary>
    public static IEnumerable<ChatResponseUpdate> Updates(ChatResponse response)
    {
        var first = true;
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is TextContent text)
                {
                    foreach (var piece in Pieces(text.Text))
                    {
                        yield return Update(response, message, new TextContent(piece), ref first);
                    }
                }
                else
                {
                    yield return Update(response, message, content, ref first);
                }
            }
        }

        yield return new ChatResponseUpdate
        {
            FinishReason = response.FinishReason,
            ResponseId = response.ResponseId,
            ModelId = response.ModelId,
            CreatedAt = response.CreatedAt,
            AdditionalProperties = response.AdditionalProperties is { } properties ? new(properties) : null,
        };
    }

    private static ChatResponseUpdate Update(ChatResponse response, ChatMessage message, AIContent content, ref bool first)
    {
        var update = new ChatResponseUpdate(message.Role, [content])
        {
            MessageId = message.MessageId,
            ResponseId = response.ResponseId,
            ModelId = response.ModelId,
            CreatedAt = response.CreatedAt,
            AuthorName = message.AuthorName,
        };
        if (first && response.AdditionalProperties is { } properties)
        {
            update.AdditionalProperties = new(properties);
        }

        first = false;
        return update;
    }

    /// <summary>Pieces of about four words, each ending after whitespace, that concatenate to the text.</summary>
    private static IEnumerable<string> Pieces(string text)
    {
        const int target = 20;
        var start = 0;
        while (start < text.Length)
        {
            var end = Math.Min(start + target, text.Length);
            while (end < text.Length && !char.IsWhiteSpace(text[end - 1]))
            {
                end++;
            }

            yield return text[start..end];
            start = end;
        }
    }
}
