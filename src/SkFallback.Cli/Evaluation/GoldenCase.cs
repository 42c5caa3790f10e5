using Microsoft.Extensions.AI;

namespace SkFallback.Cli.Evaluation;

/// <summary>One case of a golden set: the conversation sent, what a good answer is, and its tags.</summary>
internal sealed class GoldenCase
{
    /// <summary>Gets the case id, unique in its set (the line number when the line sets none).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the messages sent, in order.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>Gets the expected answer, the default value of checks that compare text; <see langword="null"/> when none.</summary>
    public string? Expected { get; init; }

    /// <summary>Gets the checks an answer must pass (at least one).</summary>
    public required IReadOnlyList<CheckSpec> Checks { get; init; }

    /// <summary>Gets the tags, for filtering and reports.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Gets the tools offered to the model (declarations only: nothing is invoked).</summary>
    public IReadOnlyList<AITool> Tools { get; init; } = [];

    /// <summary>Gets the text of the last user message (how a fallback event is matched to its case).</summary>
    public string? LastUserText => Messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text;
}
