using System.Text.Json.Nodes;
using SkFallback.Simulator.Content;

namespace SkFallback.Simulator.OpenAI;

/// <summary>Reads an OpenAI chat-completions request body.</summary>
internal static class OpenAIRequestReader
{
    public static ChatRequestSummary Read(JsonObject body)
    {
        var messages = body["messages"] as JsonArray ?? [];
        var tally = new ConversationTally();
        for (var index = 0; index < messages.Count; index++)
        {
            if (messages[index] is not JsonObject message)
            {
                continue;
            }

            var role = JsonText.String(message["role"]);
            var text = JsonText.Of(message["content"]);
            tally.Characters += text?.Length ?? 0;
            if (index == messages.Count - 1 && TryReadContinuation(role, message, text, out var continuation, out var partial))
            {
                // The conversation being continued is everything before this message: it keeps its last user
                // message and trailing tool results, so the full answer is the one that conversation gets.
                tally.Continuation = continuation;
                tally.Partial = partial;
                continue;
            }

            ReadMessage(tally, role, message, text);
        }

        var streamOptions = body["stream_options"] as JsonObject;
        return tally.Summary(
            body,
            messages.Count,
            JsonText.Bool(streamOptions?["include_usage"]),
            JsonText.Int(body["max_completion_tokens"]) ?? JsonText.Int(body["max_tokens"]));
    }

    private static void ReadMessage(ConversationTally tally, string? role, JsonObject message, string? text)
    {
        switch (role)
        {
            case "user":
                tally.ClearTrailing();
                if (!string.IsNullOrEmpty(text))
                {
                    tally.LastUser = text;
                }

                break;
            case "assistant":
                tally.ClearTrailing();
                if (message["tool_calls"] is JsonArray calls)
                {
                    foreach (var call in calls)
                    {
                        var name = JsonText.String(call?["function"]?["name"]);
                        tally.Characters += (name?.Length ?? 0) + (JsonText.String(call?["function"]?["arguments"])?.Length ?? 0);
                        tally.ToolCall(JsonText.String(call?["id"]), name);
                    }
                }

                break;
            case "tool":
                tally.HasToolResults = true;
                var callId = JsonText.String(message["tool_call_id"]) ?? string.Empty;
                tally.AddTrailing((tally.ToolNameOf(callId), text ?? string.Empty));
                break;
            default:
                break;
        }
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
