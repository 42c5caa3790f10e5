using Microsoft.Extensions.AI;

namespace SkFallback.Streaming;

/// <summary>What to send a provider to continue a partial answer, and how to join its answer to what was delivered.</summary>
internal sealed class ContinuationRequest
{
    /// <summary>Gets the messages to send: the original conversation plus the prefill, prefix or instruction.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>Gets the options to send (a copy of the caller's; <see langword="null"/> when the caller gave none).</summary>
    public ChatOptions? Options { get; init; }

    /// <summary>Gets the mode used; <see cref="ContinuationMode.Instructed"/> also when nothing was delivered yet.</summary>
    public required ContinuationMode Mode { get; init; }

    /// <summary>Gets the text the caller already has.</summary>
    public required string Delivered { get; init; }

    /// <summary>Gets the text sent as prefill or prefix (empty for an instructed continuation).</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>Gets whether the seam is searched for repeated words (instructed continuations), not only whitespace.</summary>
    public bool DetectRepetition { get; init; }

    /// <summary>Gets the text the answer is expected to open with and that must be dropped (Mistral's repeated prefix).</summary>
    public string ExpectedEcho { get; init; } = string.Empty;

    /// <summary>Creates the trimmer that joins this continuation's answer to <see cref="Delivered"/>.</summary>
    /// <param name="maxLookBack">The longest repetition recognised, in characters.</param>
    /// <returns>A new trimmer.</returns>
    public ContinuationOverlapTrimmer CreateTrimmer(int maxLookBack = ContinuationOverlapTrimmer.DefaultMaxLookBack) =>
        new(Delivered, DetectRepetition, ExpectedEcho, maxLookBack);
}
