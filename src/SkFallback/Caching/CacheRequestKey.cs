using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkFallback.Caching;

/// <summary>
/// The canonical form of a request, hashed: the partition (everything but the last user turn: system prompt and
/// instructions, earlier turns, tools and their schemas, tool choice, response format, sampling parameters and other
/// provider-neutral options) and the exact key (the partition, the last user turn, the tenant and the namespace). The
/// model id and the SkFallback request keys are left out, so an answer from one provider serves a request routed to another.
/// </summary>
internal sealed class CacheRequestKey
{
    private CacheRequestKey(string exactKey, string partition, string? prompt)
    {
        ExactKey = exactKey;
        Partition = partition;
        Prompt = prompt;
    }

    /// <summary>Gets the hex SHA-256 exact key.</summary>
    public string ExactKey { get; }

    /// <summary>Gets the hex SHA-256 partition.</summary>
    public string Partition { get; }

    /// <summary>Gets the text of the last user turn, when the request ends with a user turn of text only; otherwise <see langword="null"/> (no semantic lookup).</summary>
    public string? Prompt { get; }

    /// <summary>Builds the key, or returns <see langword="null"/> when the request cannot be keyed (content that does not serialize, a server-side conversation, a raw provider request).</summary>
    public static CacheRequestKey? Create(IEnumerable<ChatMessage> messages, ChatOptions? options, string ns, string tenant)
    {
        if (options is { ConversationId: not null } or { RawRepresentationFactory: not null } or { ContinuationToken: not null })
        {
            return null;
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var prompt = list.Count > 0 ? PromptOf(list[^1]) : null;
        var buffer = new ArrayBufferWriter<byte>(1024);
        try
        {
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                WriteOptions(writer, options);
                writer.WriteStartArray("messages");
                var count = prompt is null ? list.Count : list.Count - 1;
                for (var i = 0; i < count; i++)
                {
                    WriteMessage(writer, list[i]);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }

        var partition = Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
        var exact = new StringBuilder(partition.Length + ns.Length + tenant.Length + (prompt?.Length ?? 0) + 16)
            .Append(partition).Append('\n').Append(ns.Length).Append(':').Append(ns)
            .Append('\n').Append(tenant.Length).Append(':').Append(tenant)
            .Append('\n').Append(prompt is null ? "-" : "u:" + prompt).ToString();
        var exactKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(exact)));
        return new CacheRequestKey(exactKey, partition, prompt);
    }

    private static string? PromptOf(ChatMessage message)
    {
        if (message.Role != ChatRole.User || message.Contents.Count == 0)
        {
            return null;
        }

        if (message.Contents.Count == 1)
        {
            return message.Contents[0] is TextContent only ? only.Text : null;
        }

        var text = new StringBuilder();
        foreach (var content in message.Contents)
        {
            if (content is not TextContent part)
            {
                return null;
            }

            text.Append(part.Text);
        }

        return text.ToString();
    }

    private static void WriteOptions(Utf8JsonWriter writer, ChatOptions? options)
    {
        writer.WriteStartObject("options");
        if (options is not null)
        {
            WriteString(writer, "instructions", options.Instructions);
            WriteNumber(writer, "temperature", options.Temperature);
            WriteNumber(writer, "top_p", options.TopP);
            WriteNumber(writer, "top_k", options.TopK);
            WriteNumber(writer, "seed", options.Seed);
            WriteNumber(writer, "max_tokens", options.MaxOutputTokens);
            WriteNumber(writer, "frequency_penalty", options.FrequencyPenalty);
            WriteNumber(writer, "presence_penalty", options.PresencePenalty);
            if (options.AllowMultipleToolCalls is bool multiple)
            {
                writer.WriteBoolean("parallel_tools", multiple);
            }

            if (options.StopSequences is { Count: > 0 } stops)
            {
                writer.WriteStartArray("stop");
                foreach (var stop in stops)
                {
                    writer.WriteStringValue(stop);
                }

                writer.WriteEndArray();
            }

            switch (options.ResponseFormat)
            {
                case ChatResponseFormatJson json:
                    writer.WriteStartObject("format");
                    writer.WriteString("type", "json");
                    WriteString(writer, "name", json.SchemaName);
                    WriteString(writer, "description", json.SchemaDescription);
                    if (json.Schema is { } schema)
                    {
                        writer.WritePropertyName("schema");
                        schema.WriteTo(writer);
                    }

                    writer.WriteEndObject();
                    break;
                case ChatResponseFormatText:
                    writer.WriteString("format", "text");
                    break;
                case { } other:
                    writer.WriteString("format", other.GetType().FullName);
                    break;
            }

            switch (options.ToolMode)
            {
                case NoneChatToolMode:
                    writer.WriteString("tool_choice", "none");
                    break;
                case AutoChatToolMode:
                    writer.WriteString("tool_choice", "auto");
                    break;
                case RequiredChatToolMode required:
                    writer.WriteString("tool_choice", "required:" + required.RequiredFunctionName);
                    break;
            }

            if (options.Tools is { Count: > 0 } tools)
            {
                writer.WriteStartArray("tools");
                foreach (var tool in tools)
                {
                    WriteTool(writer, tool);
                }

                writer.WriteEndArray();
            }

            if (options.Reasoning is { } reasoning)
            {
                writer.WritePropertyName("reasoning");
                JsonSerializer.Serialize(writer, reasoning, AIJsonUtilities.DefaultOptions);
            }

            // SkFallback's own request keys (tenant, preferred provider, cache switches) are not part of the request.
            var additional = options.AdditionalProperties?.Where(p => !p.Key.StartsWith("skfallback.", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
            if (additional is { Count: > 0 })
            {
                writer.WriteStartObject("additional");
                foreach (var (key, value) in additional)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, value);
                }

                writer.WriteEndObject();
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteTool(Utf8JsonWriter writer, AITool tool)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", tool is AIFunctionDeclaration ? "function" : tool.GetType().FullName);
        writer.WriteString("name", tool.Name);
        WriteString(writer, "description", tool.Description);
        if (tool is AIFunctionDeclaration function)
        {
            writer.WritePropertyName("schema");
            function.JsonSchema.WriteTo(writer);
            if (function.ReturnJsonSchema is { } returns)
            {
                writer.WritePropertyName("returns");
                returns.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter writer, ChatMessage message)
    {
        writer.WriteStartObject();
        writer.WriteString("role", message.Role.Value);
        WriteString(writer, "author", message.AuthorName);
        writer.WriteStartArray("content");
        foreach (var content in message.Contents)
        {
            writer.WriteStartObject();
            switch (content)
            {
                case TextContent text:
                    writer.WriteString("text", text.Text);
                    break;
                case TextReasoningContent reasoning:
                    writer.WriteString("reasoning", reasoning.Text);
                    break;
                case FunctionCallContent call:
                    writer.WriteString("call", call.CallId);
                    writer.WriteString("name", call.Name);
                    writer.WritePropertyName("arguments");
                    WriteValue(writer, call.Arguments);
                    break;
                case FunctionResultContent result:
                    writer.WriteString("result", result.CallId);
                    writer.WritePropertyName("value");
                    WriteValue(writer, result.Result);
                    break;
                case DataContent data:
                    writer.WriteString("data", data.MediaType);
                    writer.WriteString("sha256", Convert.ToHexStringLower(SHA256.HashData(data.Data.Span)));
                    break;
                case UriContent uri:
                    writer.WriteString("uri", uri.Uri.ToString());
                    writer.WriteString("media", uri.MediaType);
                    break;
                default:
                    writer.WriteString("type", content.GetType().FullName);
                    writer.WritePropertyName("value");
                    JsonSerializer.Serialize(writer, content, AIJsonUtilities.DefaultOptions);
                    break;
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            default:
                JsonSerializer.Serialize(writer, value, value.GetType(), AIJsonUtilities.DefaultOptions);
                break;
        }
    }

    private static void WriteString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, float? value)
    {
        if (value is float v)
        {
            writer.WriteNumber(name, v);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is long v)
        {
            writer.WriteNumber(name, v);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is int v)
        {
            writer.WriteNumber(name, v);
        }
    }
}
