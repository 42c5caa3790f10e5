using System.Text;

namespace SkFallback.Streaming;

/// <summary>
/// Joins a continuation stream to the text already delivered without a duplicated or missing span. It holds the
/// continuation's first characters until it can tell what repeats the delivered text, drops that, and from then on
/// passes every chunk through unchanged (no copy, no allocation).
/// </summary>
/// <remarks>
/// <para>What counts as repetition, in this order:</para>
/// <list type="number">
/// <item>An expected echo (Mistral repeats the prefix it was sent): dropped when the continuation starts with it
/// exactly; otherwise nothing is assumed and the seam is judged as below.</item>
/// <item>The longest span that ends the delivered text (at most <see cref="MaxLookBack"/> characters) and starts the
/// continuation. With repetition detection on (instructed continuations) the span must start a word in the delivered
/// text (at its start, or where a letter or digit follows a non-letter-or-digit, or at a non-letter-or-digit); a word
/// the delivered text cut short counts, so "…bright ga" + "gamma ray" joins as "…bright gamma ray". With it off
/// (prefill and prefix completions, where the model never repeats) only whitespace is dropped: Anthropic rejects a
/// prefill that ends in whitespace, so the prefill is sent without it and the model starts again with it.</item>
/// </list>
/// <para>
/// A continuation that genuinely begins with the same word the delivered text ends with ("…that" + "that …") cannot be
/// told from a repetition and is joined as one; repetitions longer than <see cref="MaxLookBack"/> are not recognised.
/// Not thread-safe: one instance per continuation stream.
/// </para>
/// </remarks>
internal sealed class ContinuationOverlapTrimmer
{
    /// <summary>The default look-back, in characters.</summary>
    public const int DefaultMaxLookBack = 200;

    private readonly string _tail;
    private readonly bool _tailIsWhole;
    private readonly bool _detectRepetition;
    private readonly string _expectedEcho;
    private readonly int _trailingWhitespace;
    private StringBuilder? _pending;
    private bool _echoChecked;

    /// <summary>Creates a trimmer for one continuation.</summary>
    /// <param name="delivered">The text the caller already has.</param>
    /// <param name="detectRepetition">Whether repeated words are dropped (instructed continuations), not only whitespace.</param>
    /// <param name="expectedEcho">Text the continuation is expected to open with and that the caller already has (the prefix Mistral repeats); empty for none.</param>
    /// <param name="maxLookBack">How many characters at the end of <paramref name="delivered"/> a repetition may span (1 to 10,000).</param>
    public ContinuationOverlapTrimmer(string delivered, bool detectRepetition, string expectedEcho = "", int maxLookBack = DefaultMaxLookBack)
    {
        ArgumentNullException.ThrowIfNull(delivered);
        ArgumentNullException.ThrowIfNull(expectedEcho);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLookBack, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLookBack, 10_000);

        // One character more than the look-back, so the word-start test can see what precedes the longest span.
        _tailIsWhole = delivered.Length <= maxLookBack;
        _tail = _tailIsWhole ? delivered : delivered[^(maxLookBack + 1)..];
        _detectRepetition = detectRepetition;
        _expectedEcho = expectedEcho;
        var whitespace = 0;
        while (whitespace < _tail.Length && char.IsWhiteSpace(_tail[_tail.Length - 1 - whitespace]))
        {
            whitespace++;
        }

        _trailingWhitespace = whitespace;
        _echoChecked = expectedEcho.Length == 0;
        MaxLookBack = maxLookBack;
        Settled = delivered.Length == 0 && _echoChecked;
    }

    /// <summary>Gets the longest repetition recognised, in characters.</summary>
    public int MaxLookBack { get; }

    /// <summary>Gets whether the seam is decided: every further chunk passes through unchanged.</summary>
    public bool Settled { get; private set; }

    /// <summary>Gets how many characters of the continuation were dropped as repetition.</summary>
    public int TrimmedLength { get; private set; }

    private int SpanLimit => _tailIsWhole ? _tail.Length : _tail.Length - 1;

    /// <summary>Takes the next chunk of the continuation and returns the text to deliver now (empty while undecided).</summary>
    /// <param name="chunk">The chunk's text.</param>
    /// <returns>The text to deliver: <paramref name="chunk"/> itself once settled.</returns>
    public string Push(string chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (Settled)
        {
            return chunk;
        }

        (_pending ??= new StringBuilder(Math.Max(16, chunk.Length))).Append(chunk);
        return Decide(endOfStream: false);
    }

    /// <summary>Ends the continuation: decides the seam with what arrived and returns what is left to deliver.</summary>
    /// <returns>The held text after removing the repetition; empty when nothing is held.</returns>
    public string Flush()
    {
        if (Settled || _pending is null)
        {
            Settled = true;
            return string.Empty;
        }

        return Decide(endOfStream: true);
    }

    private string Decide(bool endOfStream)
    {
        var pending = _pending!;
        if (!_echoChecked)
        {
            var compared = Math.Min(pending.Length, _expectedEcho.Length);
            var matches = true;
            for (var i = 0; i < compared && matches; i++)
            {
                matches = pending[i] == _expectedEcho[i];
            }

            if (matches && compared == _expectedEcho.Length)
            {
                // The echo is complete: drop it; the model continues right after the whole delivered text.
                TrimmedLength = _expectedEcho.Length;
                return Settle(pending.ToString(_expectedEcho.Length, pending.Length - _expectedEcho.Length));
            }

            if (matches && !endOfStream)
            {
                return string.Empty;
            }

            // No echo after all: judge the seam like any other.
            _echoChecked = true;
        }

        var text = pending.ToString();
        if (!endOfStream && HasLongerCandidate(text))
        {
            return string.Empty;
        }

        var overlap = LongestOverlap(text);
        TrimmedLength = overlap;
        return Settle(overlap == 0 ? text : text[overlap..]);
    }

    private string Settle(string rest)
    {
        Settled = true;
        _pending = null;
        return rest;
    }

    /// <summary>Whether a longer acceptable span of the delivered tail still starts with everything held so far.</summary>
    private bool HasLongerCandidate(string held)
    {
        for (var length = held.Length + 1; length <= SpanLimit; length++)
        {
            if (Acceptable(length) && _tail.AsSpan(_tail.Length - length, held.Length).SequenceEqual(held))
            {
                return true;
            }
        }

        return false;
    }

    private int LongestOverlap(string held)
    {
        for (var length = Math.Min(held.Length, SpanLimit); length > 0; length--)
        {
            if (Acceptable(length) && _tail.AsSpan(_tail.Length - length).SequenceEqual(held.AsSpan(0, length)))
            {
                return length;
            }
        }

        return 0;
    }

    /// <summary>Whether a span of <paramref name="length"/> characters ending the delivered text may be dropped as a repetition.</summary>
    private bool Acceptable(int length)
    {
        if (length <= _trailingWhitespace)
        {
            return true;
        }

        if (!_detectRepetition)
        {
            return false;
        }

        var start = _tail.Length - length;
        if (start == 0 && _tailIsWhole)
        {
            return true;
        }

        return !char.IsLetterOrDigit(_tail[start - 1]) || !char.IsLetterOrDigit(_tail[start]);
    }
}
