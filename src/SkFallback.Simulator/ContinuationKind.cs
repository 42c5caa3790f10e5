namespace SkFallback.Simulator;

/// <summary>How a request asks the simulated model to continue a partial answer, as recorded in <see cref="RecordedRequest.Continuation"/>.</summary>
public enum ContinuationKind
{
    /// <summary>An ordinary request: the model answers from the start.</summary>
    None,

    /// <summary>
    /// Anthropic assistant prefill: the last message has role <c>assistant</c>; the model continues its text without
    /// repeating it.
    /// </summary>
    Prefill,

    /// <summary>
    /// OpenAI-compatible prefix completion (DeepSeek, Mistral): the last message has role <c>assistant</c> and
    /// <c>"prefix": true</c>; the model continues its text (repeating it first when the model's script says
    /// <see cref="ModelScript.EchoPrefix"/>, as Mistral does).
    /// </summary>
    Prefix,

    /// <summary>
    /// Instructed continuation: the last message is a user message in the continuation-instruction format
    /// (<see cref="ContinuationInstruction"/>) carrying the partial answer; the model answers with the rest, possibly
    /// repeating a few of the last words first.
    /// </summary>
    Instructed,
}
