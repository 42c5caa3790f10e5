using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Proxy.Wire;
using static SkFallback.Proxy.Wire.JsonFields;

namespace SkFallback.Proxy.OpenAI;

/// <summary>Reads an OpenAI chat request's function tools and tool choice; only <c>function</c> tools are served.</summary>
internal static class OpenAIToolReader
{
    private static readonly JsonElement EmptySchema = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone();

    /// <summary>Reads <c>tools</c> and <c>tool_choice</c> (and <c>parallel_tool_calls</c>) into the options.</summary>
    /// <param name="root">The request body.</param>
    /// <param name="options">The options to fill.</param>
    public static void ReadTools(JsonElement root, ChatOptions options)
    {
        if (Array(root, "tools", "tools") is { } tools)
        {
            var list = new List<AITool>();
            var i = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var path = $"tools[{i++}]";
                if (tool.ValueKind != JsonValueKind.Object)
                {
                    throw WrongType(path, "an object", tool);
                }

                var type = RequiredString(tool, "type", $"{path}.type");
                if (type != "function")
                {
                    throw Unsupported($"{path}.type", $"Invalid value for '{path}.type': '{type}' tools are not served by the gateway; only 'function'.");
                }

                var function = Object(tool, "function", $"{path}.function")
                    ?? throw new GatewayException(GatewayError.Invalid($"{path}.function", $"Missing required parameter: '{path}.function'.", "missing_required_parameter"));
                var parameters = Object(function, "parameters", $"{path}.function.parameters");
                list.Add(AIFunctionFactory.CreateDeclaration(
                    RequiredString(function, "name", $"{path}.function.name"),
                    String(function, "description", $"{path}.function.description"),
                    parameters?.Clone() ?? EmptySchema));
            }

            options.Tools = list;
        }

        if (TryGet(root, "tool_choice", out var choice))
        {
            options.ToolMode = choice.ValueKind switch
            {
                JsonValueKind.String => choice.GetString() switch
                {
                    "none" => ChatToolMode.None,
                    "auto" => ChatToolMode.Auto,
                    "required" => ChatToolMode.RequireAny,
                    var other => throw new GatewayException(GatewayError.Invalid("tool_choice", $"Invalid value: '{other}'. Supported values are: 'none', 'auto' and 'required'.", "invalid_value")),
                },
                JsonValueKind.Object => ChatToolMode.RequireSpecific(RequiredString(
                    Object(choice, "function", "tool_choice.function")
                        ?? throw new GatewayException(GatewayError.Invalid("tool_choice.function", "Missing required parameter: 'tool_choice.function'.", "missing_required_parameter")),
                    "name",
                    "tool_choice.function.name")),
                _ => throw WrongType("tool_choice", "a string or an object", choice),
            };
            if (options.ToolMode is not NoneChatToolMode && (options.Tools is null || options.Tools.Count == 0))
            {
                throw new GatewayException(GatewayError.Invalid("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "invalid_value"));
            }
        }
    }
}
