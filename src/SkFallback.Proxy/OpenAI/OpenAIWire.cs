using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Proxy.Wire;

namespace SkFallback.Proxy.OpenAI;

/// <summary>Pieces of the OpenAI chat-completions wire shared by whole responses and streams.</summary>
internal static class OpenAIWire
{
    /// <summary>The wire's finish reason for a chat finish reason.</summary>
    /// <param name="reason">The reason, if any.</param>
    /// <param name="calledTools">Whether the answer asked for tools.</param>
    /// <returns>The wire value.</returns>
    public static string FinishReason(ChatFinishReason? reason, bool calledTools)
    {
        if (reason == ChatFinishReason.Length)
        {
            return "length";
        }

        if (reason == ChatFinishReason.ContentFilter)
        {
            return "content_filter";
        }

        return reason == ChatFinishReason.ToolCalls || calledTools ? "tool_calls" : "stop";
    }

    /// <summary>Writes <c>usage</c> in the wire's shape.</summary>
    /// <param name="writer">The writer, inside an object.</param>
    /// <param name="usage">The usage, if reported.</param>
    public static void WriteUsage(Utf8JsonWriter writer, UsageDetails? usage)
    {
        if (usage is null)
        {
            writer.WriteNull("usage");
            return;
        }

        var prompt = usage.InputTokenCount ?? 0;
        var completion = usage.OutputTokenCount ?? 0;
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", prompt);
        writer.WriteNumber("completion_tokens", completion);
        writer.WriteNumber("total_tokens", usage.TotalTokenCount ?? prompt + completion);
        if (usage.CachedInputTokenCount is long cached)
        {
            writer.WriteStartObject("prompt_tokens_details");
            writer.WriteNumber("cached_tokens", cached);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes one tool call (<c>{"id","type":"function","function":{"name","arguments"}}</c>), optionally with its stream index.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="call">The call.</param>
    /// <param name="index">The index within a streamed delta, or <see langword="null"/>.</param>
    public static void WriteToolCall(Utf8JsonWriter writer, FunctionCallContent call, int? index)
    {
        writer.WriteStartObject();
        if (index is int i)
        {
            writer.WriteNumber("index", i);
        }

        writer.WriteString("id", call.CallId);
        writer.WriteString("type", "function");
        writer.WriteStartObject("function");
        writer.WriteString("name", call.Name);
        writer.WriteString("arguments", ToolArguments.ToJson(call.Arguments));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Writes the wire's error object <c>{"error":{"message","type","param","code"}}</c>, plus the attempts of an exhausted chain.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="error">The error.</param>
    public static void WriteError(Utf8JsonWriter writer, GatewayError error)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", error.Message);
        writer.WriteString("type", error.Type);
        writer.WriteString("param", error.Param);
        writer.WriteString("code", error.Code);
        if (error.Attempts is { Count: > 0 } attempts)
        {
            writer.WriteStartArray("attempts");
            foreach (var attempt in attempts)
            {
                AnswerMetadata.WriteAttempt(writer, attempt);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
