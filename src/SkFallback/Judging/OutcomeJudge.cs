using System.Buffers;
using Microsoft.Extensions.AI;
using SkFallback.Routing;
using SkFallback.Streaming;

namespace SkFallback.Judging;

/// <summary>
/// Decides whether an answer that came back as a success is one: refusals (a content filter, a refusal part, an
/// opening from the refusal phrases), answers without a finish reason, streams that end without their terminal
/// event. Every such check of the engine, the streams and the cache is here.
/// </summary>
internal sealed class OutcomeJudge
{
    public const string RefusalDetail = "the answer is a refusal";
    public const string NoFinishReasonDetail = "the response has no finish reason";
    public const string StreamRefusalDetail = "the stream is a refusal";
    public const string TruncatedDetail = "the stream ended without a finish reason";
    public const string FilteredDetail = "the stream was stopped by a content filter";

    private readonly string[] _refusalPhrases;

    // The first letters of the phrases, both cases: most answers are cleared by one lookup.
    private readonly SearchValues<char> _refusalOpenings;

    /// <param name="refusalPhrases">Openings that mark an answer as a refusal.</param>
    /// <param name="refusalsFail">Whether refusals are failures (fall back); when not, only a missing finish reason is.</param>
    public OutcomeJudge(IEnumerable<string> refusalPhrases, bool refusalsFail = true)
    {
        _refusalPhrases = refusalPhrases.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim()).ToArray();
        RefusalProbeLength = _refusalPhrases.Length == 0 ? 0 : _refusalPhrases.Max(p => p.Length);
        _refusalOpenings = SearchValues.Create(string.Concat(_refusalPhrases.Select(p => $"{char.ToLowerInvariant(p[0])}{char.ToUpperInvariant(p[0])}")));
        RefusalsFail = refusalsFail;
    }

    /// <summary>Gets how many characters of text are enough to decide whether an answer opens with a refusal.</summary>
    public int RefusalProbeLength { get; }

    /// <summary>Gets a value indicating whether refusals are failures.</summary>
    public bool RefusalsFail { get; }

    /// <summary>How a call's streams are held before commit.</summary>
    public StreamRules RulesFor(bool bufferWhole) => new(RefusalsFail, RefusalsFail ? RefusalProbeLength : 0, bufferWhole);

    /// <summary>Judges a non-streaming answer that came back as a success: <see langword="null"/> when it is one.</summary>
    public FailureClassification? Judge(ChatResponse response, bool requireFinishReason)
    {
        if (!RefusalsFail && !requireFinishReason)
        {
            return null;
        }

        var verdict = Inspect(response, requireFinishReason);
        if (verdict == FailureKind.Refusal && !RefusalsFail)
        {
            verdict = FailureKind.None;
        }

        return verdict switch
        {
            FailureKind.None => null,
            FailureKind.Refusal => new(FailureKind.Refusal, 200, null, RefusalDetail),
            _ => new(verdict, 200, null, NoFinishReasonDetail),
        };
    }

    /// <summary>Judges the end of a provider's stream; before commit the held opening is judged too.</summary>
    public FailureClassification? JudgeEnd(bool finished, bool requireFinishReason, bool committed, in StreamCommitBuffer held)
    {
        if (!finished && requireFinishReason)
        {
            return new(FailureKind.TruncatedStream, 200, null, TruncatedDetail);
        }

        return !committed && held.Judge(this, RefusalsFail) != FailureKind.None
            ? new(FailureKind.Refusal, 200, null, StreamRefusalDetail)
            : null;
    }

    /// <summary>Judges an update with a finish reason after commit: a content filter stopped the stream.</summary>
    public FailureClassification? JudgeFinish(ChatResponseUpdate update) =>
        update.FinishReason == ChatFinishReason.ContentFilter && RefusalsFail
            ? new(FailureKind.Refusal, 200, null, FilteredDetail)
            : null;

    /// <summary>The failure for a held stream that showed itself to be a refusal.</summary>
    public static FailureClassification HeldRefusal(FailureKind verdict) => new(verdict, 200, null, StreamRefusalDetail);

    /// <summary>Checks a non-streaming response that came back as a success; returns <see cref="FailureKind.None"/> when it is one.</summary>
    public FailureKind Inspect(ChatResponse response, bool requireFinishReason)
    {
        if (response.FinishReason == ChatFinishReason.ContentFilter)
        {
            return FailureKind.Refusal;
        }

        var messages = response.Messages;
        var sawContent = false;
        for (var m = 0; m < messages.Count; m++)
        {
            var contents = messages[m].Contents;
            for (var c = 0; c < contents.Count; c++)
            {
                switch (contents[c])
                {
                    case ErrorContent { ErrorCode: "Refusal" }:
                        return FailureKind.Refusal;
                    case TextContent text when !sawContent && !string.IsNullOrWhiteSpace(text.Text):
                        if (OpensWithRefusal(text.Text.AsSpan()))
                        {
                            return FailureKind.Refusal;
                        }

                        sawContent = true;
                        break;
                    case TextContent:
                        break;
                    default:
                        sawContent = true;
                        break;
                }
            }
        }

        if (requireFinishReason && response.FinishReason is null)
        {
            return FailureKind.MalformedResponse;
        }

        return FailureKind.None;
    }

    /// <summary>Whether the text opens with one of the configured refusal phrases.</summary>
    public bool OpensWithRefusal(ReadOnlySpan<char> text)
    {
        text = text.TrimStart();
        if (text.IsEmpty || !_refusalOpenings.Contains(text[0]))
        {
            return false;
        }

        foreach (var phrase in _refusalPhrases)
        {
            if (text.StartsWith(phrase, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Why a successful answer should not be kept for replay, or <see langword="null"/> when it may be: a tool call, a
    /// content filter or refusal, a missing finish reason or the output limit, or nothing said at all. The flags say
    /// which of these the cache is configured to keep anyway.
    /// </summary>
    public string? WhyNotReplayable(ChatResponse response, bool keepToolCalls, bool keepRefusals, bool keepTruncated)
    {
        var finish = response.FinishReason;
        var toolCall = HasToolCall(response);
        if (toolCall && !keepToolCalls)
        {
            return "it asks for a tool call";
        }

        if (finish == ChatFinishReason.ContentFilter && !keepRefusals)
        {
            return "it was filtered (content_filter)";
        }

        if (finish is null && !keepTruncated)
        {
            return "it has no finish reason and may be truncated";
        }

        if (finish == ChatFinishReason.Length && !keepTruncated)
        {
            return "it was cut off by the output limit";
        }

        var text = response.Text;
        if (!toolCall && string.IsNullOrWhiteSpace(text))
        {
            return "it is empty";
        }

        return !keepRefusals && OpensWithRefusal(text.AsSpan()) ? "it is a refusal" : null;
    }

    private static bool HasToolCall(ChatResponse response)
    {
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
