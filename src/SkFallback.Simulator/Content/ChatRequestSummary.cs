namespace SkFallback.Simulator.Content;

/// <summary>What the simulator needs from a chat request, read from either wire format.</summary>
internal sealed class ChatRequestSummary
{
    public required string Model { get; init; }

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public int? MaxTokens { get; init; }

    public string? LastUserMessage { get; init; }

    public int MessageCount { get; init; }

    public bool HasToolResults { get; init; }

    /// <summary>Tool results after the last assistant turn, with the function name found in history.</summary>
    public IReadOnlyList<(string Name, string Content)> TrailingToolResults { get; init; } = [];

    public int PromptCharacters { get; init; }

    /// <summary>Whether (and how) the request asks to continue a partial answer.</summary>
    public ContinuationKind Continuation { get; init; }

    /// <summary>The partial answer to continue (prefill, prefix or instructed text); empty without continuation.</summary>
    public string PartialAnswer { get; init; } = string.Empty;

    public int PromptTokens => Math.Max(1, PromptCharacters / 4);
}
