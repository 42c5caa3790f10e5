using System.Text;
using Microsoft.Extensions.AI;

namespace SkFallback.Events;

/// <summary>Copies a sampled call's messages and answer into event records (texts as they are: the writer redacts them).</summary>
internal static class EventMessages
{
    public static FallbackEventMessage[] Of(IEnumerable<ChatMessage> messages)
    {
        var list = new List<FallbackEventMessage>(messages is ICollection<ChatMessage> c ? c.Count : 4);
        foreach (var message in messages)
        {
            var (text, parts) = Contents(message.Contents);
            list.Add(new FallbackEventMessage { Role = message.Role.Value, Text = text, Parts = parts });
        }

        return [.. list];
    }

    public static FallbackEventResponse Of(ChatResponse response)
    {
        var text = new StringBuilder();
        List<FallbackEventPart>? parts = null;
        foreach (var message in response.Messages)
        {
            var (t, p) = Contents(message.Contents);
            text.Append(t);
            if (p is not null)
            {
                (parts ??= []).AddRange(p);
            }
        }

        return new FallbackEventResponse
        {
            Text = text.ToString(),
            Parts = parts,
            FinishReason = response.FinishReason?.Value,
            InputTokens = response.Usage?.InputTokenCount,
            OutputTokens = response.Usage?.OutputTokenCount,
        };
    }

    /// <summary>A stream's answer from the updates the caller received.</summary>
    public static FallbackEventResponse Of(ReadOnlySpan<ChatResponseUpdate> delivered, UsageDetails? usage)
    {
        var text = new StringBuilder();
        List<FallbackEventPart>? parts = null;
        string? finish = null;
        foreach (var update in delivered)
        {
            var (t, p) = Contents(update.Contents);
            text.Append(t);
            if (p is not null)
            {
                (parts ??= []).AddRange(p);
            }

            finish = update.FinishReason?.Value ?? finish;
        }

        return new FallbackEventResponse { Text = text.ToString(), Parts = parts, FinishReason = finish, InputTokens = usage?.InputTokenCount, OutputTokens = usage?.OutputTokenCount };
    }

    /// <summary>The text of updates (a failed provider's part).</summary>
    public static string Text(ReadOnlySpan<ChatResponseUpdate> updates)
    {
        var text = new StringBuilder();
        foreach (var update in updates)
        {
            foreach (var content in update.Contents)
            {
                if (content is TextContent t)
                {
                    text.Append(t.Text);
                }
            }
        }

        return text.ToString();
    }

    private static (string? Text, List<FallbackEventPart>? Parts) Contents(IList<AIContent> contents)
    {
        StringBuilder? text = null;
        List<FallbackEventPart>? parts = null;
        foreach (var content in contents)
        {
            switch (content)
            {
                case TextContent t:
                    (text ??= new()).Append(t.Text);
                    break;
                case UsageContent:
                    break;
                case FunctionCallContent call:
                    (parts ??= []).Add(new FallbackEventPart { Kind = "function_call", Name = call.Name, CallId = call.CallId, Text = Arguments(call) });
                    break;
                case FunctionResultContent result:
                    (parts ??= []).Add(new FallbackEventPart { Kind = "function_result", CallId = result.CallId, Text = result.Result?.ToString() });
                    break;
                case TextReasoningContent reasoning:
                    (parts ??= []).Add(new FallbackEventPart { Kind = "reasoning", Text = reasoning.Text });
                    break;
                case DataContent data:
                    (parts ??= []).Add(new FallbackEventPart { Kind = "data", MediaType = data.MediaType });
                    break;
                default:
                    (parts ??= []).Add(new FallbackEventPart { Kind = "other", Text = content.GetType().Name });
                    break;
            }
        }

        return (text?.ToString(), parts);
    }

    private static string? Arguments(FunctionCallContent call)
    {
        if (call.Arguments is null)
        {
            return null;
        }

        var text = new StringBuilder("{");
        foreach (var (name, value) in call.Arguments)
        {
            if (text.Length > 1)
            {
                text.Append(',');
            }

            text.Append(System.Text.Json.JsonSerializer.Serialize(name, FallbackEventJsonContext.Default.String)).Append(':')
                .Append(System.Text.Json.JsonSerializer.Serialize(value?.ToString(), FallbackEventJsonContext.Default.String));
        }

        return text.Append('}').ToString();
    }
}
