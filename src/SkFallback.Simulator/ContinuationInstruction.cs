namespace SkFallback.Simulator;

/// <summary>
/// The user message that asks a model without prefill support to continue an interrupted answer. The format is
/// fixed: <see cref="Instruction"/>, a line feed, <see cref="OpeningTag"/>, a line feed, the partial answer exactly as
/// delivered, a line feed and <see cref="ClosingTag"/>. SkFallback's engine sends exactly this text (its
/// <c>ContinuationPrompt</c> produces the same format), and the simulator recognises it.
/// </summary>
public static class ContinuationInstruction
{
    /// <summary>The instruction sentence that opens the message.</summary>
    public const string Instruction = Shared.ContinuationFormat.Instruction;

    /// <summary>The tag before the partial answer.</summary>
    public const string OpeningTag = Shared.ContinuationFormat.OpeningTag;

    /// <summary>The tag after the partial answer.</summary>
    public const string ClosingTag = Shared.ContinuationFormat.ClosingTag;

    /// <summary>Builds the message text for a partial answer.</summary>
    /// <param name="partialAnswer">The answer text delivered so far.</param>
    /// <returns>The user message text.</returns>
    public static string Build(string partialAnswer)
    {
        return Shared.ContinuationFormat.Build(partialAnswer);
    }

    /// <summary>Reads the partial answer out of a message in this format.</summary>
    /// <param name="message">The user message text.</param>
    /// <param name="partialAnswer">The partial answer, when the message is in this format.</param>
    /// <returns>Whether the message is in this format.</returns>
    public static bool TryParse(string? message, out string partialAnswer)
    {
        return Shared.ContinuationFormat.TryParse(message, out partialAnswer);
    }
}
