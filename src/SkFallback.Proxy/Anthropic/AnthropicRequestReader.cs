using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Proxy.Wire;
using static SkFallback.Proxy.Wire.JsonFields;

namespace SkFallback.Proxy.Anthropic;

/// <summary>
/// Reads an Anthropic <c>POST /v1/messages</c> body into a <see cref="GatewayChatRequest"/>: <c>system</c>, text, image,
/// <c>tool_use</c> and <c>tool_result</c> blocks, tools and <c>tool_choice</c>, <c>stop_sequences</c>, sampling. Problems are
/// a 400 naming the field (<c>messages.1.content.0.tool_use_id</c>, as the Anthropic API names them).
/// </summary>
internal static class AnthropicRequestReader
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "model", "messages", "max_tokens", "system", "stop_sequences", "stream", "temperature", "top_p", "top_k",
        "tools", "tool_choice", "metadata",
        // Accepted and ignored: hints that do not change what the answer looks like.
        "service_tier", "cache_control", "inference_geo", "speed",
        // Refused when set (below).
        "thinking", "container", "mcp_servers", "output_config",
    };

    /// <summary>Reads the request.</summary>
    /// <param name="root">The body.</param>
    /// <returns>The request.</returns>
    /// <exception cref="GatewayException">A 400 naming the field.</exception>
    public static GatewayChatRequest Read(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!Known.Contains(property.Name))
            {
                throw new GatewayException(GatewayError.Invalid(property.Name, $"{property.Name}: Extra inputs are not permitted", "unknown_parameter"));
            }
        }

        foreach (var name in new[] { "thinking", "container", "mcp_servers", "output_config" })
        {
            if (TryGet(root, name, out _))
            {
                throw Unsupported(name, $"{name}: not served by the gateway.");
            }
        }

        var model = RequiredString(root, "model", "model");
        var maxTokens = Integer(root, "max_tokens", "max_tokens", 1, int.MaxValue)
            ?? throw new GatewayException(GatewayError.Invalid("max_tokens", "max_tokens: Field required", "missing_required_parameter"));
        var messages = new List<ChatMessage>();
        ReadSystem(root, messages);
        ReadMessages(root, messages);
        var options = new ChatOptions
        {
            MaxOutputTokens = (int)maxTokens,
            Temperature = (float?)Number(root, "temperature", "temperature", 0, 1),
            TopP = (float?)Number(root, "top_p", "top_p", 0, 1),
            TopK = (int?)Integer(root, "top_k", "top_k", 0, int.MaxValue),
            StopSequences = ReadStrings(root, "stop_sequences"),
        };
        ReadTools(root, options);
        if (Object(root, "metadata", "metadata") is { } metadata)
        {
            // user_id identifies the end user to the provider; the chain has no request key for it, so it is checked, not forwarded.
            String(metadata, "user_id", "metadata.user_id");
            foreach (var entry in metadata.EnumerateObject())
            {
                if (entry.Name != "user_id" && entry.Value.ValueKind == JsonValueKind.String)
                {
                    RequestKeys.ApplyMetadata(options, entry.Name, entry.Value.GetString()!);
                }
            }
        }

        return new GatewayChatRequest(model, messages, options, Bool(root, "stream", "stream") ?? false, IncludeUsage: true);
    }

    private static void ReadSystem(JsonElement root, List<ChatMessage> messages)
    {
        if (!TryGet(root, "system", out var system))
        {
            return;
        }

        if (system.ValueKind == JsonValueKind.String)
        {
            messages.Add(new ChatMessage(ChatRole.System, system.GetString()));
            return;
        }

        if (system.ValueKind != JsonValueKind.Array)
        {
            throw WrongType("system", "a string or an array of text blocks", system);
        }

        var message = new ChatMessage { Role = ChatRole.System };
        var i = 0;
        foreach (var block in system.EnumerateArray())
        {
            var path = $"system.{i++}";
            if (block.ValueKind != JsonValueKind.Object || RequiredString(block, "type", $"{path}.type") != "text")
            {
                throw new GatewayException(GatewayError.Invalid(path, $"{path}: system blocks must be text blocks.", "invalid_value"));
            }

            message.Contents.Add(new TextContent(RequiredString(block, "text", $"{path}.text")));
        }

        messages.Add(message);
    }

    private static void ReadMessages(JsonElement root, List<ChatMessage> messages)
    {
        if (!TryGet(root, "messages", out var array))
        {
            throw new GatewayException(GatewayError.Invalid("messages", "messages: Field required", "missing_required_parameter"));
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw WrongType("messages", "an array", array);
        }

        if (array.GetArrayLength() == 0)
        {
            throw new GatewayException(GatewayError.Invalid("messages", "messages: at least one message is required", "empty_array"));
        }

        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var path = $"messages.{index++}";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw WrongType(path, "an object", item);
            }

            var role = RequiredString(item, "role", $"{path}.role") switch
            {
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                var other => throw new GatewayException(GatewayError.Invalid($"{path}.role", $"{path}.role: Input should be 'user' or 'assistant' (was '{other}')", "invalid_value")),
            };
            ReadContent(item, path, role, messages);
        }
    }

    private static void ReadContent(JsonElement item, string path, ChatRole role, List<ChatMessage> messages)
    {
        if (!TryGet(item, "content", out var content))
        {
            throw new GatewayException(GatewayError.Invalid($"{path}.content", $"{path}.content: Field required", "missing_required_parameter"));
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            messages.Add(new ChatMessage(role, content.GetString()));
            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw WrongType($"{path}.content", "a string or an array of content blocks", content);
        }

        // Tool results travel in their own tool message (as Microsoft.Extensions.AI expects), before the user's text.
        var results = new ChatMessage { Role = ChatRole.Tool };
        var message = new ChatMessage { Role = role };
        var i = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockPath = $"{path}.content.{i++}";
            if (block.ValueKind != JsonValueKind.Object)
            {
                throw WrongType(blockPath, "an object", block);
            }

            ReadBlock(block, blockPath, role, message, results);
        }

        if (results.Contents.Count > 0)
        {
            messages.Add(results);
        }

        if (message.Contents.Count > 0 || results.Contents.Count == 0)
        {
            messages.Add(message);
        }
    }

    /// <summary>Adds one content block to the message, or (a tool result) to the tool message that goes before it.</summary>
    private static void ReadBlock(JsonElement block, string blockPath, ChatRole role, ChatMessage message, ChatMessage results)
    {
        var type = RequiredString(block, "type", $"{blockPath}.type");
        switch (type)
        {
            case "text":
                message.Contents.Add(new TextContent(RequiredString(block, "text", $"{blockPath}.text")));
                break;
            case "image" when role == ChatRole.User:
                message.Contents.Add(Image(block, blockPath));
                break;
            case "tool_use" when role == ChatRole.Assistant:
                var input = Object(block, "input", $"{blockPath}.input");
                message.Contents.Add(new FunctionCallContent(
                    RequiredString(block, "id", $"{blockPath}.id"),
                    RequiredString(block, "name", $"{blockPath}.name"),
                    input is { } arguments ? ToolArguments.FromObject(arguments) : []));
                break;
            case "tool_result" when role == ChatRole.User:
                results.Contents.Add(new FunctionResultContent(RequiredString(block, "tool_use_id", $"{blockPath}.tool_use_id"), ResultText(block, blockPath)));
                break;
            default:
                throw Unsupported($"{blockPath}.type", $"{blockPath}.type: '{type}' blocks are not supported in {role.Value} messages by the gateway.");
        }
    }

    private static string ResultText(JsonElement block, string path)
    {
        if (!TryGet(block, "content", out var content))
        {
            return string.Empty;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw WrongType($"{path}.content", "a string or an array of text blocks", content);
        }

        var text = new System.Text.StringBuilder();
        var i = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = $"{path}.content.{i++}";
            if (part.ValueKind != JsonValueKind.Object || RequiredString(part, "type", $"{partPath}.type") != "text")
            {
                throw Unsupported(partPath, $"{partPath}: only text is supported in tool results by the gateway.");
            }

            text.Append(RequiredString(part, "text", $"{partPath}.text"));
        }

        return text.ToString();
    }

    private static AIContent Image(JsonElement block, string path)
    {
        var source = Object(block, "source", $"{path}.source")
            ?? throw new GatewayException(GatewayError.Invalid($"{path}.source", $"{path}.source: Field required", "missing_required_parameter"));
        switch (RequiredString(source, "type", $"{path}.source.type"))
        {
            case "base64":
                var mediaType = RequiredString(source, "media_type", $"{path}.source.media_type");
                try
                {
                    return new DataContent(Convert.FromBase64String(RequiredString(source, "data", $"{path}.source.data")), mediaType);
                }
                catch (FormatException)
                {
                    throw new GatewayException(GatewayError.Invalid($"{path}.source.data", $"{path}.source.data: not valid base64", "invalid_value"));
                }

            case "url":
                var url = RequiredString(source, "url", $"{path}.source.url");
                return Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                    ? new UriContent(uri, "image/*")
                    : throw new GatewayException(GatewayError.Invalid($"{path}.source.url", $"{path}.source.url: expected an http(s) URL", "invalid_value"));
            case var other:
                throw Unsupported($"{path}.source.type", $"{path}.source.type: '{other}' image sources are not supported by the gateway.");
        }
    }

    private static List<string>? ReadStrings(JsonElement root, string name)
    {
        if (Array(root, name, name) is not { } array)
        {
            return null;
        }

        var list = new List<string>();
        foreach (var item in array.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw WrongType($"{name}.{list.Count}", "a string", item));
        }

        return list;
    }

    private static void ReadTools(JsonElement root, ChatOptions options)
    {
        if (Array(root, "tools", "tools") is { } tools)
        {
            var list = new List<AITool>();
            var i = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var path = $"tools.{i++}";
                if (tool.ValueKind != JsonValueKind.Object)
                {
                    throw WrongType(path, "an object", tool);
                }

                if (String(tool, "type", $"{path}.type") is { } type && type != "custom")
                {
                    throw Unsupported($"{path}.type", $"{path}.type: '{type}' tools are not served by the gateway; only custom (client) tools.");
                }

                var schema = Object(tool, "input_schema", $"{path}.input_schema")
                    ?? throw new GatewayException(GatewayError.Invalid($"{path}.input_schema", $"{path}.input_schema: Field required", "missing_required_parameter"));
                list.Add(AIFunctionFactory.CreateDeclaration(
                    RequiredString(tool, "name", $"{path}.name"),
                    String(tool, "description", $"{path}.description"),
                    schema.Clone()));
            }

            options.Tools = list;
        }

        if (Object(root, "tool_choice", "tool_choice") is { } choice)
        {
            options.ToolMode = RequiredString(choice, "type", "tool_choice.type") switch
            {
                "auto" => ChatToolMode.Auto,
                "any" => ChatToolMode.RequireAny,
                "none" => ChatToolMode.None,
                "tool" => ChatToolMode.RequireSpecific(RequiredString(choice, "name", "tool_choice.name")),
                var other => throw new GatewayException(GatewayError.Invalid("tool_choice.type", $"tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none' (was '{other}')", "invalid_value")),
            };
            if (Bool(choice, "disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use") is bool disable)
            {
                options.AllowMultipleToolCalls = !disable;
            }
        }
    }
}
