using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Proxy.Wire;

namespace SkFallback.Proxy.Anthropic;

/// <summary>Pieces of the Anthropic messages wire shared by whole responses and streams.</summary>
internal static class AnthropicWire
{
    /// <summary>The wire's error type for a status.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <returns>The error type.</returns>
    public static string ErrorType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        504 => "timeout_error",
        _ => "api_error",
    };

    /// <summary>Writes <c>{"type":"error","error":{"type","message"}}</c>, plus the attempts of an exhausted chain.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="error">The error.</param>
    public static void WriteError(Utf8JsonWriter writer, GatewayError error)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "error");
        writer.WriteStartObject("error");
        writer.WriteString("type", ErrorType(error.Status));
        writer.WriteString("message", error.Param is null ? error.Message : $"{error.Param}: {error.Message}");
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

    /// <summary>The wire's stop reason for a chat finish reason.</summary>
    /// <param name="reason">The reason.</param>
    /// <param name="calledTools">Whether the answer asked for tools.</param>
    /// <param name="stopSequence">The stop sequence hit, if the provider said.</param>
    /// <returns>The wire value.</returns>
    public static string StopReason(ChatFinishReason? reason, bool calledTools, string? stopSequence)
    {
        if (calledTools || reason == ChatFinishReason.ToolCalls)
        {
            return "tool_use";
        }

        if (reason == ChatFinishReason.Length)
        {
            return "max_tokens";
        }

        if (reason == ChatFinishReason.ContentFilter)
        {
            return "refusal";
        }

        return stopSequence is null ? "end_turn" : "stop_sequence";
    }
}
