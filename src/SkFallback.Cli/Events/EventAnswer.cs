using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Events;

namespace SkFallback.Cli.Events;

/// <summary>What an event holds, as the evaluation reads it: the request's last user text, the request's identity, the answer as a chat response.</summary>
internal static class EventAnswer
{
    /// <summary>The text of the request's last user message (how an event is matched to a golden case).</summary>
    public static string? LastUserText(FallbackEvent e) => e.Request.LastOrDefault(m => m.Role == "user")?.Text?.Trim();

    /// <summary>Whether two events carry the same request (every message's role and text, in order).</summary>
    public static bool SameRequest(FallbackEvent a, FallbackEvent b) =>
        a.Request.Count == b.Request.Count && a.Request.Zip(b.Request).All(p => p.First.Role == p.Second.Role && p.First.Text == p.Second.Text);

    /// <summary>The provider tried first: the primary of the call.</summary>
    public static string? FirstProvider(FallbackEvent e) => e.Attempts.Count > 0 ? e.Attempts[0].Provider : null;

    /// <summary>The event's answer as a <see cref="ChatResponse"/> (text and function calls); <see langword="null"/> without one.</summary>
    public static ChatResponse? Response(FallbackEvent e)
    {
        if (e.Response is not { } response)
        {
            return null;
        }

        var contents = new List<AIContent>();
        if (!string.IsNullOrEmpty(response.Text))
        {
            contents.Add(new TextContent(response.Text));
        }

        foreach (var part in response.Parts ?? [])
        {
            if (part.Kind == "function_call" && part.Name is { } name)
            {
                contents.Add(new FunctionCallContent(part.CallId ?? name, name, Arguments(part.Text)));
            }
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents)) { ModelId = e.Model };
    }

    private static Dictionary<string, object?>? Arguments(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, object?>>(json);
        }
        catch (JsonException)
        {
            // Redaction or truncation can break the arguments' JSON: keep the call, without arguments.
            return null;
        }
    }
}
