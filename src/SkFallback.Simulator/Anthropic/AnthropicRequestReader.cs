using System.Text.Json.Nodes;
using SkFallback.Simulator.Content;

namespace SkFallback.Simulator.Anthropic;

/// <summary>Reads an Anthropic messages request body.</summary>
internal static class AnthropicRequestReader
{
    public static ChatRequestSummary Read(JsonObject body)
    {
        var messages = body["messages"] as JsonArray ?? [];
        var tally = new ConversationTally { Characters = JsonText.Of(body["system"])?.Length ?? 0 };
        for (var index = 0; index < messages.Count; index++)
        {
            if (messages[index] is not JsonObject message)
            {
                continue;
            }

            var role = JsonText.String(message["role"]);
            if (index == messages.Count - 1 && TryReadContinuation(role, message, out var continuation, out var partial))
            {
                // Everything before this message is the conversation being continued (see the OpenAI reader).
                tally.Continuation = continuation;
                tally.Partial = partial;
                tally.Characters += partial.Length;
                continue;
            }

            ReadMessage(tally, role, message);
        }

        return tally.Summary(body, messages.Count, includeUsage: true, JsonText.Int(body["max_tokens"]));
    }

    private static void ReadMessage(ConversationTally tally, string? role, JsonObject message)
    {
        if (role == "assistant")
        {
            tally.ClearTrailing();
        }

        if (message["content"] is not JsonArray blocks)
        {
            var text = JsonText.Of(message["content"]);
            tally.Characters += text?.Length ?? 0;
            if (role == "user")
            {
                tally.ClearTrailing();
                tally.LastUser = string.IsNullOrEmpty(text) ? tally.LastUser : text;
            }

            return;
        }

        var results = new List<(string, string)>();
        var userText = ReadBlocks(tally, blocks, results);
        if (role == "user")
        {
            tally.ClearTrailing();
            foreach (var result in results)
            {
                tally.AddTrailing(result);
            }

            if (!string.IsNullOrEmpty(userText))
            {
                tally.LastUser = userText;
            }
        }
    }

    /// <summary>Counts a message's content blocks, remembers its tool calls, collects its tool results and returns its text.</summary>
    private static string? ReadBlocks(ConversationTally tally, JsonArray blocks, List<(string, string)> results)
    {
        string? userText = null;
        foreach (var block in blocks)
        {
            switch (JsonText.String(block?["type"]))
            {
                case "text":
                    var text = JsonText.String(block?["text"]) ?? string.Empty;
                    tally.Characters += text.Length;
                    userText = userText is null ? text : userText + text;
                    break;
                case "tool_use":
                    var name = JsonText.String(block?["name"]);
                    tally.Characters += (name?.Length ?? 0) + (block?["input"]?.ToJsonString(WireJson.Options).Length ?? 0);
                    tally.ToolCall(JsonText.String(block?["id"]), name);
                    break;
                case "tool_result":
                    tally.HasToolResults = true;
                    var useId = JsonText.String(block?["tool_use_id"]) ?? string.Empty;
                    var content = JsonText.Of(block?["content"]) ?? string.Empty;
                    tally.Characters += content.Length;
                    results.Add((tally.ToolNameOf(useId), content));
                    break;
                default:
                    break;
            }
        }

        return userText;
    }

    /// <summary>
    /// Assistant prefill: a final assistant message holding only text; the model continues that text. A final
    /// user message in the continuation-instruction format is an instructed continuation.
    /// </summary>
    private static bool TryReadContinuation(string? role, JsonObject message, out ContinuationKind kind, out string partial)
    {
        kind = ContinuationKind.None;
        partial = string.Empty;
        var content = message["content"];
        if (content is JsonArray blocks)
        {
            foreach (var block in blocks)
            {
                if (JsonText.String(block?["type"]) != "text")
                {
                    // A final turn with tool use or tool results is not a plain text prefill or instruction.
                    return false;
                }
            }
        }

        var text = JsonText.Of(content);
        if (role == "assistant" && text is not null)
        {
            kind = ContinuationKind.Prefill;
            partial = text;
            return true;
        }

        if (role == "user" && ContinuationInstruction.TryParse(text, out partial))
        {
            kind = ContinuationKind.Instructed;
            return true;
        }

        return false;
    }
}
