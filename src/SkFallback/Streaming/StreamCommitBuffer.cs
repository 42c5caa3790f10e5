using System.Text;
using Microsoft.Extensions.AI;
using SkFallback.Routing;

namespace SkFallback.Streaming;

/// <summary>
/// Holds a stream's first updates until it is safe to commit to the provider: until content arrived and, when
/// refusal detection is on, enough text to tell whether the answer opens with a refusal. Until then a failure
/// switches providers without the caller seeing anything.
/// </summary>
internal struct StreamCommitBuffer
{
    private List<ChatResponseUpdate>? _updates;
    private StringBuilder? _text;
    private bool _hasContent;
    private bool _hasNonText;
    private int _contentUpdates;

    public readonly int Count => _updates?.Count ?? 0;

    public readonly ChatResponseUpdate First => _updates![0];

    public readonly ChatResponseUpdate this[int index] => _updates![index];

    /// <summary>Buffers an update; returns <see cref="FailureKind.Refusal"/> as soon as the stream shows itself to be one.</summary>
    public FailureKind Add(ChatResponseUpdate update, Judging.OutcomeJudge judge, bool detectRefusal, int probeLength, out bool hasContent)
    {
        (_updates ??= new(4)).Add(update);
        hasContent = false;

        if (detectRefusal && update.FinishReason == ChatFinishReason.ContentFilter)
        {
            return FailureKind.Refusal;
        }

        var contents = update.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case ErrorContent { ErrorCode: "Refusal" } when detectRefusal:
                    return FailureKind.Refusal;
                case TextContent text:
                    if (!string.IsNullOrEmpty(text.Text))
                    {
                        hasContent = true;
                        if (probeLength > 0 && (_text?.Length ?? 0) < probeLength)
                        {
                            (_text ??= new()).Append(text.Text);
                        }
                    }

                    break;
                case UsageContent:
                case TextReasoningContent:
                    break;
                default:
                    hasContent = true;
                    _hasNonText = true;
                    break;
            }
        }

        _hasContent |= hasContent;
        _contentUpdates += hasContent ? 1 : 0;
        if (detectRefusal && probeLength > 0 && _text is not null && _text.Length >= probeLength && OpensWithRefusal(judge))
        {
            return FailureKind.Refusal;
        }

        return FailureKind.None;
    }

    /// <summary>Whether the buffered updates may be released: content arrived and the refusal probe (if any) is satisfied.</summary>
    public readonly bool ReadyToCommit(int probeLength) =>
        _hasContent && (probeLength == 0 || _hasNonText || (_text?.Length ?? 0) >= probeLength);

    /// <summary>
    /// Whether the buffer has held enough: <paramref name="chunks"/> content updates, or content for
    /// <paramref name="delay"/> (<paramref name="held"/> is how long since the first content), whichever comes first.
    /// A tool call commits at once: it arrives whole.
    /// </summary>
    public readonly bool HeldEnough(int chunks, TimeSpan delay, TimeSpan held) =>
        _hasNonText || _contentUpdates >= chunks || held >= delay;

    /// <summary>Gets the number of content updates held.</summary>
    public readonly int ContentUpdates => _contentUpdates;

    /// <summary>Judges a stream that ended before the probe filled.</summary>
    public readonly FailureKind Judge(Judging.OutcomeJudge judge, bool detectRefusal) =>
        detectRefusal && _text is not null && OpensWithRefusal(judge) ? FailureKind.Refusal : FailureKind.None;

    public void Clear()
    {
        _updates?.Clear();
        _contentUpdates = 0;
    }

    /// <summary>Empties the buffer for another stream, keeping a small list (a whole answer's may be long).</summary>
    public void Reset()
    {
        if (_updates is { Capacity: > 64 })
        {
            _updates = null;
        }

        _updates?.Clear();
        _text = _text is { Capacity: <= 1024 } text ? text.Clear() : null;
        _hasContent = false;
        _hasNonText = false;
        _contentUpdates = 0;
    }

    private readonly bool OpensWithRefusal(Judging.OutcomeJudge judge)
    {
        var text = _text!.ToString();
        return judge.OpensWithRefusal(text.AsSpan());
    }
}
