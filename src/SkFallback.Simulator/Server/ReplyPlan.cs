namespace SkFallback.Simulator.Server;

/// <summary>Everything a wire needs to write one successful (or deliberately broken) 200 reply.</summary>
internal sealed class ReplyPlan
{
    public required string Id { get; init; }

    public required string Model { get; init; }

    public required long Created { get; init; }

    /// <summary>The content tokens (one word each, with leading space except the first).</summary>
    public required IReadOnlyList<string> Tokens { get; init; }

    public required ReplyFinish Finish { get; init; }

    /// <summary>Whether the text is a refusal (OpenAI mirrors it into <c>refusal</c>).</summary>
    public bool IsRefusal { get; init; }

    public string? ToolCallId { get; init; }

    public string? ToolName { get; init; }

    public string? ToolArgumentsJson { get; init; }

    public required int PromptTokens { get; init; }

    public bool IncludeUsage { get; init; }

    /// <summary>Billed output tokens per token sent (1 for an honest provider; see <see cref="ModelScript.BillOutputTokens"/>).</summary>
    public double OutputBillFactor { get; init; } = 1.0;

    public string Text => string.Concat(Tokens);

    /// <summary>Completion tokens when the reply is sent whole.</summary>
    public int CompletionTokens => ToolName is null ? Tokens.Count : Math.Max(1, (ToolArgumentsJson?.Length ?? 0) / 4);

    /// <summary>The output tokens the usage reports for <paramref name="sent"/> tokens sent.</summary>
    public int Billed(int sent) => OutputBillFactor == 1.0 ? sent : (int)Math.Min(int.MaxValue, Math.Ceiling(sent * OutputBillFactor));
}
