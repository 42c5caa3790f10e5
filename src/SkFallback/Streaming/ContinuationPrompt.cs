namespace SkFallback.Streaming;

/// <summary>
/// The user message that asks a provider without prefill support to continue an answer that broke after part of it
/// reached the caller (an instructed continuation). The format is fixed so that providers, tests and the
/// simulator agree on it: <see cref="Instruction"/>, a line feed, <see cref="OpeningTag"/>, a line feed, the partial
/// answer exactly as delivered, a line feed and <see cref="ClosingTag"/>.
/// </summary>
/// <remarks>
/// Models asked this way often repeat the last few words before going on; the engine removes that repetition at the
/// seam (see <see cref="ContinuationMode.Instructed"/>).
/// </remarks>
public static class ContinuationPrompt
{
    /// <summary>The instruction sentence that opens the message.</summary>
    public const string Instruction = Shared.ContinuationFormat.Instruction;

    /// <summary>The tag before the partial answer.</summary>
    public const string OpeningTag = Shared.ContinuationFormat.OpeningTag;

    /// <summary>The tag after the partial answer.</summary>
    public const string ClosingTag = Shared.ContinuationFormat.ClosingTag;

    /// <summary>Builds the message text for a partial answer.</summary>
    /// <param name="partialAnswer">The answer text delivered so far, verbatim.</param>
    /// <returns>The user message text.</returns>
    public static string Build(string partialAnswer)
    {
        return Shared.ContinuationFormat.Build(partialAnswer);
    }

    /// <summary>Reads the partial answer out of a message built by <see cref="Build"/>.</summary>
    /// <param name="message">The message text.</param>
    /// <param name="partialAnswer">The partial answer, when the message is in this format; otherwise empty.</param>
    /// <returns>Whether the message is in this format.</returns>
    public static bool TryParse(string? message, out string partialAnswer)
    {
        return Shared.ContinuationFormat.TryParse(message, out partialAnswer);
    }
}
