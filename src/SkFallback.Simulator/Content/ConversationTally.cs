using System.Text.Json.Nodes;

namespace SkFallback.Simulator.Content;

/// <summary>What a request reader gathers while it walks the messages of either wire format, and the summary it makes of them.</summary>
internal sealed class ConversationTally
{
    private readonly Dictionary<string, string> _toolNames = new(StringComparer.Ordinal);
    private readonly List<(string, string)> _trailing = [];

    public string? LastUser { get; set; }

    public int Characters { get; set; }

    public ContinuationKind Continuation { get; set; }

    public string Partial { get; set; } = string.Empty;

    public bool HasToolResults { get; set; }

    /// <summary>Remembers which function a tool call id names, for the results that follow.</summary>
    public void ToolCall(string? id, string? name)
    {
        if (id is not null && name is not null)
        {
            _toolNames[id] = name;
        }
    }

    /// <summary>The function a tool call id names in the history so far (the id itself when unknown).</summary>
    public string ToolNameOf(string callId) => _toolNames.GetValueOrDefault(callId, callId);

    /// <summary>Adds a tool result after the last assistant turn.</summary>
    public void AddTrailing((string Name, string Content) result) => _trailing.Add(result);

    /// <summary>Forgets the trailing tool results (a later turn came).</summary>
    public void ClearTrailing() => _trailing.Clear();

    public ChatRequestSummary Summary(JsonObject body, int messageCount, bool includeUsage, int? maxTokens) => new()
    {
        Model = JsonText.String(body["model"]) ?? string.Empty,
        Stream = JsonText.Bool(body["stream"]),
        IncludeUsage = includeUsage,
        MaxTokens = maxTokens,
        LastUserMessage = LastUser,
        MessageCount = messageCount,
        HasToolResults = HasToolResults,
        TrailingToolResults = _trailing,
        PromptCharacters = Characters,
        Continuation = Continuation,
        PartialAnswer = Partial,
    };
}
