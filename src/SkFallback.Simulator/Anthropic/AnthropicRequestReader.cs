using System.Text.Json.Nodes;
using SkFallback.Simulator.Content;

namespace SkFallback.Simulator.Anthropic;

/// <summary>Reads an Anthropic messages request body.</summary>
internal static class AnthropicRequestReader
{
    public static ChatRequestSummary Read(JsonObject body)
    {
        var messages = body["messages"] as JsonArray ?? [];
        string? lastUser = null;
        var characters = JsonText.Of(body["system"])?.Length ?? 0;
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
            if (index == messages.Count - 1 && TryReadContinuation(role, message, out continuation, out partial))
            {
                // Everything before this message is the conversation being continued (see the OpenAI reader).
                characters += partial.Length;
                continue;
            }

            if (role == "assistant")
            {
                trailing.Clear();
            }

            if (message["content"] is not JsonArray blocks)
            {
                var text = JsonText.Of(message["content"]);
                characters += text?.Length ?? 0;
                if (role == "user")
                {
                    trailing.Clear();
                    lastUser = string.IsNullOrEmpty(text) ? lastUser : text;
                }

                continue;
            }

            string? userText = null;
            var results = new List<(string, string)>();
            foreach (var block in blocks)
            {
                switch (JsonText.String(block?["type"]))
                {
                    case "text":
                        var text = JsonText.String(block?["text"]) ?? string.Empty;
                        characters += text.Length;
                        userText = userText is null ? text : userText + text;
                        break;
                    case "tool_use":
                        var id = JsonText.String(block?["id"]);
                        var name = JsonText.String(block?["name"]);
                        characters += (name?.Length ?? 0) + (block?["input"]?.ToJsonString(WireJson.Options).Length ?? 0);
                        if (id is not null && name is not null)
                        {
                            toolNames[id] = name;
                        }

                        break;
                    case "tool_result":
                        hasToolResults = true;
                        var useId = JsonText.String(block?["tool_use_id"]) ?? string.Empty;
                        var content = JsonText.Of(block?["content"]) ?? string.Empty;
                        characters += content.Length;
                        results.Add((toolNames.GetValueOrDefault(useId, useId), content));
                        break;
                    default:
                        break;
                }
            }

            if (role == "user")
            {
                trailing.Clear();
                trailing.AddRange(results);
                if (!string.IsNullOrEmpty(userText))
                {
                    lastUser = userText;
                }
            }
        }

        return new ChatRequestSummary
        {
            Model = JsonText.String(body["model"]) ?? string.Empty,
            Stream = JsonText.Bool(body["stream"]),
            IncludeUsage = true,
            MaxTokens = JsonText.Int(body["max_tokens"]),
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
