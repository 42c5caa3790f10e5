using Microsoft.Extensions.AI;
using SkFallback.Routing;

namespace SkFallback.Streaming;

/// <summary>
/// What reaches the caller of a stream: the updates delivered (kept, by reference, so a break can be continued from
/// them), the provider named on the first update of each part, one message id across the parts of a continued
/// answer, and the text the seam trimmer held back.
/// </summary>
internal struct CallerDelivery
{
    private DeliveredText _delivered;

    // The message id of the answer's first part: continuations keep it, so the caller's joined answer is one message.
    private string? _answerMessageId;

    // A continuation's first update with text says which provider wrote from there on.
    private bool _annotateNext;
    private ChatResponseUpdate? _seamRest;

    /// <summary>Gets the number of updates delivered.</summary>
    public readonly int Count => _delivered.Count;

    /// <summary>The updates delivered from position <paramref name="start"/> on (one provider's part of the answer).</summary>
    public readonly ReadOnlySpan<ChatResponseUpdate> Since(int start) => _delivered.Since(start);

    /// <summary>The text delivered so far.</summary>
    public readonly string Text() => _delivered.Text();

    /// <summary>A new part starts: a continuation's is tied to the answer's first message and names its provider on its first text.</summary>
    public void BeginPart(bool continuation)
    {
        _annotateNext = continuation;
        if (continuation)
        {
            _answerMessageId ??= _delivered.FirstMessageId();
        }
    }

    /// <summary>The held updates are committed: the first names its provider; they are kept when breaks are continued.</summary>
    public void Commit(ref StreamCommitBuffer held, ChainProvider provider, bool keep)
    {
        if (held.Count > 0)
        {
            AnnotateFirst(held.First, provider);
        }

        for (var i = 0; keep && i < held.Count; i++)
        {
            _delivered.Add(held[i]);
        }
    }

    /// <summary>The finishing update of a continuation: the text the seam trimmer still holds goes out first.</summary>
    public void Finishing(ChatResponseUpdate update, string? heldBack)
    {
        if (heldBack is not null)
        {
            _seamRest = new ChatResponseUpdate(ChatRole.Assistant, heldBack) { ModelId = update.ModelId, MessageId = _answerMessageId ?? update.MessageId };
            _delivered.Add(_seamRest);
        }
    }

    /// <summary>An update of a committed part on its way to the caller.</summary>
    public void Passing(ChatResponseUpdate update, ChainProvider provider, bool keep)
    {
        if (_answerMessageId is not null)
        {
            update.MessageId = _answerMessageId;
        }

        if (_annotateNext && !string.IsNullOrEmpty(update.Text))
        {
            _annotateNext = false;
            AnnotateFirst(update, provider);
        }

        if (keep)
        {
            _delivered.Add(update);
        }
    }

    /// <summary>The held-back seam text to deliver before the finishing update, once.</summary>
    public ChatResponseUpdate? TakeSeamRest()
    {
        var rest = _seamRest;
        _seamRest = null;
        return rest;
    }

    public void Release() => _delivered.Release();

    private static void AnnotateFirst(ChatResponseUpdate update, ChainProvider provider)
    {
        var properties = update.AdditionalProperties ??= [];
        properties[FallbackMetadataKeys.Provider] = provider.Name;
        properties[FallbackMetadataKeys.Model] = provider.Model;
    }
}
