using System.Runtime.CompilerServices;

namespace SkFallback.Cost;

/// <summary>Splits ASCII text into the pieces the tiktoken encodings' pre-tokenization patterns give, without a regular expression.</summary>
/// <remarks>
/// o200k_base: <c>P?U*L+C?|P?U+L*C?|\p{N}{1,3}| ?O+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>; cl100k_base:
/// <c>'(s|d|m|t|ll|ve|re)|P?\p{L}+|\p{N}{1,3}| ?O+[\r\n]*|\s+$|\s*[\r\n]|\s+(?!\S)|\s+</c>, where P is a character
/// other than CR, LF, a letter or a digit, O one other than white space, a letter or a digit, U upper case, L lower
/// case, C a contraction ('s, 't, 're, 've, 'm, 'll, 'd, any case). In ASCII the upper and lower case classes do not
/// overlap, so no backtracking is needed. Each alternative of the patterns is one method below, inlined into
/// <see cref="NextPiece"/>.
/// </remarks>
internal static class AsciiPreTokenizer
{
    /// <summary>The end of the pre-tokenization piece that starts at <paramref name="start"/> in ASCII text.</summary>
    internal static int NextPiece(ReadOnlySpan<char> text, int start, bool o200k)
    {
        var length = text.Length;
        if (!o200k && Contraction(text, start) is var contraction and > 0)
        {
            return start + contraction;
        }

        // Letters, after an optional prefix character.
        var position = start;
        if (IsPrefix(text[position]) && position + 1 < length && IsLetter(text[position + 1]))
        {
            position++;
        }

        if (IsLetter(text[position]))
        {
            return o200k ? CasedWordEnd(text, position) : WordEnd(text, position);
        }

        if (char.IsAsciiDigit(text[start]))
        {
            return DigitsEnd(text, start);
        }

        // Punctuation and symbols, after an optional space.
        position = start;
        if (text[position] == ' ' && position + 1 < length && IsOther(text[position + 1]))
        {
            position++;
        }

        return IsOther(text[position]) ? SymbolsEnd(text, position, o200k) : SpaceEnd(text, start, o200k);
    }

    /// <summary>o200k: upper case letters, then lower case letters, then an optional contraction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CasedWordEnd(ReadOnlySpan<char> text, int position)
    {
        var length = text.Length;
        while (position < length && char.IsAsciiLetterUpper(text[position]))
        {
            position++;
        }

        while (position < length && char.IsAsciiLetterLower(text[position]))
        {
            position++;
        }

        return position + Contraction(text, position);
    }

    /// <summary>cl100k: letters of either case.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WordEnd(ReadOnlySpan<char> text, int position)
    {
        var length = text.Length;
        while (position < length && IsLetter(text[position]))
        {
            position++;
        }

        return position;
    }

    /// <summary>One to three digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DigitsEnd(ReadOnlySpan<char> text, int start)
    {
        var length = text.Length;
        var position = start + 1;
        while (position < length && position < start + 3 && char.IsAsciiDigit(text[position]))
        {
            position++;
        }

        return position;
    }

    /// <summary>Punctuation and symbols, then line breaks (and slashes for o200k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SymbolsEnd(ReadOnlySpan<char> text, int position, bool o200k)
    {
        var length = text.Length;
        while (position < length && IsOther(text[position]))
        {
            position++;
        }

        while (position < length && (IsLineBreak(text[position]) || (o200k && text[position] == '/')))
        {
            position++;
        }

        return position;
    }

    /// <summary>
    /// White space: to the end of the text (cl100k); through its last line break; else all but the last character
    /// before a non-space (that one starts the next piece); else a single character.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SpaceEnd(ReadOnlySpan<char> text, int start, bool o200k)
    {
        var length = text.Length;
        var position = start;
        var lastLineBreak = -1;
        while (position < length && IsSpace(text[position]))
        {
            if (IsLineBreak(text[position]))
            {
                lastLineBreak = position;
            }

            position++;
        }

        if (position == length && !o200k)
        {
            return position;
        }

        if (lastLineBreak >= 0)
        {
            return lastLineBreak + 1;
        }

        return position == length || position - start < 2 ? position : position - 1;
    }

    private static int Contraction(ReadOnlySpan<char> text, int position)
    {
        if (position + 1 >= text.Length || text[position] != '\'')
        {
            return 0;
        }

        var first = (char)(text[position + 1] | 0x20);
        if (first is 's' or 't' or 'm' or 'd')
        {
            return 2;
        }

        if (position + 2 >= text.Length)
        {
            return 0;
        }

        var second = (char)(text[position + 2] | 0x20);
        return (first, second) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? 3 : 0;
    }

    private static bool IsLetter(char c) => char.IsAsciiLetter(c);

    private static bool IsLineBreak(char c) => c is '\n' or '\r';

    // \s on ASCII: space, tab, line feed, vertical tab, form feed, carriage return.
    private static bool IsSpace(char c) => c == ' ' || c is >= '\t' and <= '\r';

    private static bool IsOther(char c) => !IsSpace(c) && !char.IsAsciiLetterOrDigit(c);

    private static bool IsPrefix(char c) => !IsLineBreak(c) && !char.IsAsciiLetterOrDigit(c);
}
