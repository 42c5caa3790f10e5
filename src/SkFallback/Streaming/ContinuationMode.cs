namespace SkFallback.Streaming;

/// <summary>How a provider is asked to continue an answer another provider left unfinished.</summary>
public enum ContinuationMode
{
    /// <summary>
    /// A user message in the <see cref="ContinuationPrompt"/> format carrying the partial answer; works on every
    /// provider. Words the model repeats at the seam are removed.
    /// </summary>
    Instructed = 0,

    /// <summary>
    /// Anthropic assistant prefill: the partial answer is sent as a final assistant message (without trailing
    /// whitespace, which Anthropic rejects) and the model continues it without repeating it.
    /// </summary>
    AssistantPrefill,

    /// <summary>
    /// Prefix completion as DeepSeek's beta endpoint offers it: a final assistant message with <c>"prefix": true</c>;
    /// the answer is the continuation alone. Needs a provider built on the OpenAI SDK.
    /// </summary>
    PrefixCompletion,

    /// <summary>
    /// Prefix completion as Mistral offers it: the same request as <see cref="PrefixCompletion"/>, but the answer
    /// repeats the prefix before continuing; the repeated prefix is removed.
    /// </summary>
    PrefixCompletionEchoed,
}
