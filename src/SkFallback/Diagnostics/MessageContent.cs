using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkFallback.Diagnostics;

/// <summary>
/// Messages as the GenAI conventions put them on a span when content is opted in (<c>gen_ai.input.messages</c>,
/// <c>gen_ai.output.messages</c>): a JSON array of <c>{role, parts, finish_reason}</c>, every configured key masked.
/// </summary>
internal static class MessageContent
{
    /// <summary>Whether the environment opts in (<see cref="FallbackTelemetry.CaptureMessageContentVariable"/> is <c>true</c>).</summary>
    public static bool EnabledByEnvironment() =>
        string.Equals(Environment.GetEnvironmentVariable(FallbackTelemetry.CaptureMessageContentVariable), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The messages as the conventions' JSON, keys masked; a part that cannot be written (an argument of a type JSON cannot serialize) gives <c>[]</c>: telemetry never fails a call.</summary>
    public static string Serialize(IEnumerable<ChatMessage> messages, ChatFinishReason? finishReason, SecretRedactor redactor)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        try
        {
            using var writer = new Utf8JsonWriter(buffer);
            writer.WriteStartArray();
            foreach (var message in messages)
            {
                Write(writer, message.Role.Value, message.Contents, finishReason);
            }

            writer.WriteEndArray();
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException or ArgumentException)
        {
            return "[]";
        }

        return redactor.Redact(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>One assistant message of streamed text (a streamed attempt's output).</summary>
    public static string SerializeText(string text, ChatFinishReason? finishReason, SecretRedactor redactor) =>
        Serialize([new ChatMessage(ChatRole.Assistant, text)], finishReason, redactor);

    private static void Write(Utf8JsonWriter writer, string role, IList<AIContent> contents, ChatFinishReason? finishReason)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WriteStartArray("parts");
        foreach (var content in contents)
        {
            WritePart(writer, content);
        }

        writer.WriteEndArray();
        if (finishReason is { } reason)
        {
            writer.WriteString("finish_reason", reason.Value);
        }

        writer.WriteEndObject();
    }

    private static void WritePart(Utf8JsonWriter writer, AIContent content)
    {
        writer.WriteStartObject();
        switch (content)
        {
            case TextContent text:
                writer.WriteString("type", "text");
                writer.WriteString("content", text.Text);
                break;
            case TextReasoningContent reasoning:
                writer.WriteString("type", "reasoning");
                writer.WriteString("content", reasoning.Text);
                break;
            case FunctionCallContent call:
                writer.WriteString("type", "tool_call");
                writer.WriteString("id", call.CallId);
                writer.WriteString("name", call.Name);
                writer.WritePropertyName("arguments");
                JsonSerializer.Serialize(writer, call.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));
                break;
            case FunctionResultContent result:
                writer.WriteString("type", "tool_call_response");
                writer.WriteString("id", result.CallId);
                writer.WriteString("response", result.Result?.ToString());
                break;
            default:
                // Images, audio and other parts: their kind only, never their bytes.
                writer.WriteString("type", content.GetType().Name);
                break;
        }

        writer.WriteEndObject();
    }
}
