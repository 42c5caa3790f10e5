using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkFallback.Caching;

/// <summary>
/// Writes the canonical JSON form of a request that <see cref="CacheRequestKey"/> hashes: the provider-neutral options
/// (instructions, sampling parameters, response format, tool choice, tools and their schemas, reasoning, other
/// properties but SkFallback's own keys, in key order) and the messages, with binary data as its SHA-256.
/// </summary>
internal static class CanonicalRequestWriter
{
    /// <summary>Writes the options and the first <paramref name="count"/> messages.</summary>
    /// <exception cref="NotSupportedException">Content does not serialize (also <see cref="JsonException"/>, <see cref="InvalidOperationException"/>, <see cref="ArgumentException"/>).</exception>
    public static void Write(IBufferWriter<byte> buffer, ChatOptions? options, IReadOnlyList<ChatMessage> messages, int count)
    {
        using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        WriteOptions(writer, options);
        writer.WriteStartArray("messages");
        for (var i = 0; i < count; i++)
        {
            WriteMessage(writer, messages[i]);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteOptions(Utf8JsonWriter writer, ChatOptions? options)
    {
        writer.WriteStartObject("options");
        if (options is not null)
        {
            WriteSampling(writer, options);
            WriteFormat(writer, options.ResponseFormat);
            WriteToolChoice(writer, options.ToolMode);
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

            WriteAdditional(writer, options.AdditionalProperties);
        }

        writer.WriteEndObject();
    }

    private static void WriteSampling(Utf8JsonWriter writer, ChatOptions options)
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
    }

    private static void WriteFormat(Utf8JsonWriter writer, ChatResponseFormat? format)
    {
        switch (format)
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
    }

    private static void WriteToolChoice(Utf8JsonWriter writer, ChatToolMode? mode)
    {
        switch (mode)
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
    }

    private static void WriteAdditional(Utf8JsonWriter writer, AdditionalPropertiesDictionary? properties)
    {
        // SkFallback's own request keys (tenant, preferred provider, cache switches) are not part of the request.
        var additional = properties?.Where(p => !p.Key.StartsWith("skfallback.", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
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

    // int values (top_k, max_tokens) come here too: written as a long, the digits are the same.
    private static void WriteNumber(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is long v)
        {
            writer.WriteNumber(name, v);
        }
    }
}
