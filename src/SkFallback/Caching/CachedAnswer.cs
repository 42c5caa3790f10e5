using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkFallback.Caching;

/// <summary>
/// Turns an answer into the JSON a store keeps and back. Only provider-neutral parts are kept (messages, finish reason,
/// usage, model and response ids, the provider and model that answered); raw SDK objects and per-call metadata are not.
/// Each hit deserializes a fresh response, so a caller changing it cannot change the cache.
/// </summary>
internal static class CachedAnswer
{
    public static string Serialize(ChatResponse response, string? provider, string? model)
    {
        var messages = new List<ChatMessage>(response.Messages.Count);
        foreach (var message in response.Messages)
        {
            messages.Add(new ChatMessage(message.Role, message.Contents) { AuthorName = message.AuthorName, MessageId = message.MessageId });
        }

        var copy = new ChatResponse(messages)
        {
            FinishReason = response.FinishReason,
            Usage = response.Usage,
            ModelId = response.ModelId,
            ResponseId = response.ResponseId,
            CreatedAt = response.CreatedAt,
            AdditionalProperties = new()
            {
                [FallbackMetadataKeys.Provider] = provider,
                [FallbackMetadataKeys.Model] = model,
            },
        };
        return JsonSerializer.Serialize(copy, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)));
    }

    public static ChatResponse Deserialize(string json)
    {
        var response = (ChatResponse?)JsonSerializer.Deserialize(json, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)))
            ?? throw new JsonException("A cached answer deserialized to null.");
        if (response.AdditionalProperties is { } properties)
        {
            // Values come back as JsonElement; the metadata contract says strings.
            foreach (var key in new[] { FallbackMetadataKeys.Provider, FallbackMetadataKeys.Model })
            {
                if (properties.TryGetValue(key, out var value) && value is JsonElement element)
                {
                    properties[key] = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
                }
            }
        }

        return response;
    }
}
