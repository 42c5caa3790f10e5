using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Proxy.Wire;
using static SkFallback.Proxy.Wire.JsonFields;

namespace SkFallback.Proxy.OpenAI;

/// <summary>
/// Reads the <c>messages</c> of an OpenAI chat request: roles (<c>developer</c> read as system), text and image parts,
/// an assistant's <c>tool_calls</c>, and <c>tool</c> results; each problem a 400 naming its path
/// (<c>messages[2].tool_calls[0].function.arguments</c>).
/// </summary>
internal static class OpenAIMessageReader
{
    /// <summary>Reads <c>messages</c>: a non-empty array of objects.</summary>
    /// <param name="root">The request body.</param>
    /// <returns>The messages.</returns>
    public static List<ChatMessage> ReadMessages(JsonElement root)
    {
        if (!TryGet(root, "messages", out var array))
        {
            throw new GatewayException(GatewayError.Invalid("messages", "Missing required parameter: 'messages'.", "missing_required_parameter"));
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw WrongType("messages", "an array", array);
        }

        if (array.GetArrayLength() == 0)
        {
            throw new GatewayException(GatewayError.Invalid("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "empty_array"));
        }

        var messages = new List<ChatMessage>(array.GetArrayLength());
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var path = $"messages[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw WrongType(path, "an object", item);
            }

            messages.Add(ReadMessage(item, path));
        }

        return messages;
    }

    private static ChatMessage ReadMessage(JsonElement item, string path)
    {
        var role = RequiredString(item, "role", $"{path}.role");
        var message = new ChatMessage { AuthorName = String(item, "name", $"{path}.name") };
        switch (role)
        {
            case "system" or "developer":
                message.Role = ChatRole.System;
                ReadContent(item, path, message, allowImages: false);
                break;
            case "user":
                message.Role = ChatRole.User;
                ReadContent(item, path, message, allowImages: true);
                break;
            case "assistant":
                message.Role = ChatRole.Assistant;
                ReadContent(item, path, message, allowImages: false, optional: true);
                ReadToolCalls(item, path, message);

                if (message.Contents.Count == 0)
                {
                    throw new GatewayException(GatewayError.Invalid($"{path}.content", $"Invalid '{path}': an assistant message needs 'content' or 'tool_calls'.", "invalid_value"));
                }

                break;
            case "tool":
                message.Role = ChatRole.Tool;
                var callId = RequiredString(item, "tool_call_id", $"{path}.tool_call_id");
                var result = new ChatMessage();
                ReadContent(item, path, result, allowImages: false);
                message.Contents.Add(new FunctionResultContent(callId, result.Text));
                break;
            case "function":
                throw Unsupported($"{path}.role", $"Invalid value for '{path}.role': 'function' messages are deprecated; use 'tool'.");
            default:
                throw new GatewayException(GatewayError.Invalid($"{path}.role", $"Invalid value: '{role}'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", "invalid_value"));
        }

        return message;
    }

    private static void ReadContent(JsonElement item, string path, ChatMessage message, bool allowImages, bool optional = false)
    {
        if (!TryGet(item, "content", out var content))
        {
            if (optional)
            {
                return;
            }

            throw new GatewayException(GatewayError.Invalid($"{path}.content", $"Missing required parameter: '{path}.content'.", "missing_required_parameter"));
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            var text = content.GetString()!;
            if (text.Length > 0 || !optional)
            {
                message.Contents.Add(new TextContent(text));
            }

            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw WrongType($"{path}.content", "a string or an array", content);
        }

        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = $"{path}.content[{index++}]";
            if (part.ValueKind != JsonValueKind.Object)
            {
                throw WrongType(partPath, "an object", part);
            }

            var type = RequiredString(part, "type", $"{partPath}.type");
            switch (type)
            {
                case "text":
                    message.Contents.Add(new TextContent(RequiredString(part, "text", $"{partPath}.text")));
                    break;
                case "refusal" when message.Role == ChatRole.Assistant:
                    message.Contents.Add(new TextContent(RequiredString(part, "refusal", $"{partPath}.refusal")));
                    break;
                case "image_url" when allowImages:
                    var image = Object(part, "image_url", $"{partPath}.image_url")
                        ?? throw new GatewayException(GatewayError.Invalid($"{partPath}.image_url", $"Missing required parameter: '{partPath}.image_url'.", "missing_required_parameter"));
                    var url = RequiredString(image, "url", $"{partPath}.image_url.url");
                    message.Contents.Add(Image(url, $"{partPath}.image_url.url"));
                    break;
                default:
                    throw Unsupported($"{partPath}.type", $"Invalid value for '{partPath}.type': '{type}' content is not supported here.");
            }
        }
    }

    private static AIContent Image(string url, string path)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return new DataContent(url);
            }
            catch (FormatException)
            {
                throw new GatewayException(GatewayError.Invalid(path, $"Invalid '{path}': not a valid data URI.", "invalid_value"));
            }
        }

        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return new UriContent(uri, "image/*");
        }

        throw new GatewayException(GatewayError.Invalid(path, $"Invalid '{path}': expected an http(s) URL or a data URI.", "invalid_value"));
    }

    private static void ReadToolCalls(JsonElement item, string path, ChatMessage message)
    {
        if (Array(item, "tool_calls", $"{path}.tool_calls") is { } calls)
        {
            var i = 0;
            foreach (var call in calls.EnumerateArray())
            {
                var callPath = $"{path}.tool_calls[{i++}]";
                if (call.ValueKind != JsonValueKind.Object)
                {
                    throw WrongType(callPath, "an object", call);
                }

                var type = String(call, "type", $"{callPath}.type") ?? "function";
                if (type != "function")
                {
                    throw Unsupported($"{callPath}.type", $"Invalid value for '{callPath}.type': only 'function' tool calls are supported.");
                }

                var function = Object(call, "function", $"{callPath}.function")
                    ?? throw new GatewayException(GatewayError.Invalid($"{callPath}.function", $"Missing required parameter: '{callPath}.function'.", "missing_required_parameter"));
                var arguments = String(function, "arguments", $"{callPath}.function.arguments") ?? "{}";
                message.Contents.Add(new FunctionCallContent(
                    RequiredString(call, "id", $"{callPath}.id"),
                    RequiredString(function, "name", $"{callPath}.function.name"),
                    ToolArguments.FromString(arguments, $"{callPath}.function.arguments")));
            }
        }
    }
}
