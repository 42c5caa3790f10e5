using System.Text.Json.Nodes;
using SkFallback.Simulator.Content;

namespace SkFallback.Simulator.OpenAI;

/// <summary>Reads an OpenAI chat-completions request body.</summary>
internal static class OpenAIRequestReader
{
    public static ChatRequestSummary Read(JsonObject body)
    {
        var messages = body["messages"] as JsonArray ?? [];
        string? lastUser = null;
        var characters = 0;
        var hasToolResults = false;
        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var trailing = new List<(string, string)>();
        var continuation = ContinuationKind.None;
        var partial = string.Empty;
        for (var index = 0; index < messages.Count; index++)
        {
            if (messages[index] is not JsonObject message)
            {
                continue;
            }

            var role = JsonText.String(message["role"]);
            var text = JsonText.Of(message["content"]);
            characters += text?.Length ?? 0;
            if (index == messages.Count - 1 && TryReadContinuation(role, message, text, out continuation, out partial))
            {
                // The conversation being continued is everything before this message: it keeps its last user
                // message and trailing tool results, so the full answer is the one that conversation gets.
                continue;
            }

            switch (role)
            {
                case "user":
                    trailing.Clear();
                    if (!string.IsNullOrEmpty(text))
                    {
                        lastUser = text;
                    }

                    break;
                case "assistant":
                    trailing.Clear();
                    if (message["tool_calls"] is JsonArray calls)
                    {
                        foreach (var call in calls)
                        {
                            var id = JsonText.String(call?["id"]);
                            var name = JsonText.String(call?["function"]?["name"]);
                            characters += (name?.Length ?? 0) + (JsonText.String(call?["function"]?["arguments"])?.Length ?? 0);
                            if (id is not null && name is not null)
                            {
                                toolNames[id] = name;
                            }
                        }
                    }

                    break;
                case "tool":
                    hasToolResults = true;
                    var callId = JsonText.String(message["tool_call_id"]) ?? string.Empty;
                    trailing.Add((toolNames.GetValueOrDefault(callId, callId), text ?? string.Empty));
                    break;
                default:
                    break;
            }
        }

        var streamOptions = body["stream_options"] as JsonObject;
        return new ChatRequestSummary
        {
            Model = JsonText.String(body["model"]) ?? string.Empty,
            Stream = JsonText.Bool(body["stream"]),
            IncludeUsage = JsonText.Bool(streamOptions?["include_usage"]),
            MaxTokens = JsonText.Int(body["max_completion_tokens"]) ?? JsonText.Int(body["max_tokens"]),
            LastUserMessage = lastUser,
            MessageCount = messages.Count,
            HasToolResults = hasToolResults,
            TrailingToolResults = trailing,
            PromptCharacters = characters,
            Continuation = continuation,
            PartialAnswer = partial,
        };
    }

    /// <summary>
    /// Prefix completion (DeepSeek's beta endpoint, Mistral): a final assistant message with <c>"prefix": true</c>.
    /// A final assistant message without it is plain history, as on OpenAI. A final user message in the
    /// continuation-instruction format is an instructed continuation.
    /// </summary>
    private static bool TryReadContinuation(string? role, JsonObject message, string? text, out ContinuationKind kind, out string partial)
    {
        if (role == "assistant" && JsonText.Bool(message["prefix"]) && message["tool_calls"] is null)
        {
            kind = ContinuationKind.Prefix;
            partial = text ?? string.Empty;
            return true;
        }

        if (role == "user" && ContinuationInstruction.TryParse(text, out partial))
        {
            kind = ContinuationKind.Instructed;
            return true;
        }

        kind = ContinuationKind.None;
        partial = string.Empty;
        return false;
    }
}
