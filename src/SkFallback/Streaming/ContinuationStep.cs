using Microsoft.Extensions.AI;
using SkFallback.Engine;
using SkFallback.Routing;

namespace SkFallback.Streaming;

/// <summary>
/// One part of a streamed answer as it is asked of its provider: the caller's request for the first part; after
/// commit, a continuation from exactly the text delivered (prefill, prefix or instructed, as the provider takes
/// it), with the repetition at the seam trimmed, and an instructed retry when the provider refuses prefill.
/// </summary>
internal struct ContinuationStep
{
    private ContinuationRequest? _request;

    /// <summary>Gets the messages the part is asked with.</summary>
    public IEnumerable<ChatMessage> Messages { get; private set; }

    /// <summary>Gets the options the part is asked with (the provider's model pinned).</summary>
    public ChatOptions? ProviderOptions { get; private set; }

    /// <summary>Gets the options before the provider's model is pinned (what usage estimates count).</summary>
    public ChatOptions? Options { get; private set; }

    /// <summary>Gets how the part continues another, when it does.</summary>
    public readonly ContinuationMode? Mode => _request?.Mode;

    /// <summary>Gets the trimmer for the seam, when the part continues another.</summary>
    public ContinuationOverlapTrimmer? Trimmer { get; private set; }

    /// <summary>Sets the part up for <paramref name="provider"/>: the caller's request, or, once output is committed, a continuation of <paramref name="delivered"/>.</summary>
    public void Prepare(CallState call, ChainProvider provider, bool committed, string? delivered)
    {
        Trimmer = null;
        _request = null;
        if (!committed)
        {
            Messages = call.Messages;
            Options = call.Options;
        }
        else
        {
            Use(ContinuationRequestBuilder.Build(call.Messages, call.Options, delivered!, provider.EffectiveContinuation));
        }

        ProviderOptions = provider.OptionsFor(Options);
    }

    /// <summary>
    /// A provider that rejects prefill or prefix completion (newer Claude models answer it with a 400) is asked again,
    /// and in its later continuations, with an instructed continuation. Whether that applies to <paramref name="failure"/>.
    /// </summary>
    public bool TryInstructedRetry(CallState call, ChainProvider provider, FailureClassification failure, AttemptRecorder recorder)
    {
        if (_request is not { Mode: not ContinuationMode.Instructed } request || failure is not { Kind: FailureKind.CallerError, StatusCode: 400 })
        {
            return false;
        }

        provider.RejectContinuationMode();
        recorder.ContinuationRejected(provider, request.Mode, failure.StatusCode);
        Use(ContinuationRequestBuilder.Build(call.Messages, call.Options, request.Delivered, ContinuationMode.Instructed));
        ProviderOptions = provider.OptionsFor(Options);
        return true;
    }

    /// <summary>Removes the repetition at the seam from an update's text, in place, while the trimmer is unsettled.</summary>
    public readonly void TrimSeam(ChatResponseUpdate update)
    {
        if (Trimmer is not { Settled: false } trimmer)
        {
            return;
        }

        var contents = update.Contents;
        for (var i = 0; i < contents.Count && !trimmer.Settled; i++)
        {
            if (contents[i] is TextContent text && text.Text is { Length: > 0 } chunk)
            {
                text.Text = trimmer.Push(chunk);
            }
        }
    }

    /// <summary>What the trimmer still holds when the part finishes (text it held back to compare at the seam).</summary>
    public readonly string? FlushSeam() =>
        Trimmer is { Settled: false } trimmer && trimmer.Flush() is { Length: > 0 } held ? held : null;

    private void Use(ContinuationRequest request)
    {
        _request = request;
        Messages = request.Messages;
        Options = request.Options;
        Trimmer = request.CreateTrimmer();
    }
}
