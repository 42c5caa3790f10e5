using System.Collections.Concurrent;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace SkFallback.Cost;

/// <summary>
/// A tiktoken encoding with a fast path for ASCII text: pieces are split by <see cref="AsciiPreTokenizer"/>, a scanner
/// equivalent to the encoding's pre-tokenization pattern on ASCII (checked against the library's pattern by a
/// differential test), and each piece is counted by the library's byte-pair encoder, remembered per piece. Other text,
/// and text that may hold special tokens (<c>&lt;|</c>), takes the library's own path.
/// </summary>
/// <remarks>
/// A piece's count depends only on the piece and the encoding, so remembering it cannot change a count. Only pieces of
/// at most <see cref="MaxCachedPieceLength"/> characters are kept, and at most <see cref="MaxCachedPieces"/> of them
/// (after that, new pieces are counted each time), which bounds the memory to a few megabytes per encoding.
/// </remarks>
internal sealed class TiktokenEncoding
{
    internal const int MaxCachedPieceLength = 32;
    internal const int MaxCachedPieces = 32_768;

    private readonly ConcurrentDictionary<string, int> _pieces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _pieceLookup;

    // Counted here: ConcurrentDictionary.Count takes every lock, far too slow for a check per new piece.
    private int _pieceCount;

    public TiktokenEncoding(Tokenizer tokenizer, bool o200k)
    {
        Tokenizer = tokenizer;
        O200k = o200k;
        _pieceLookup = _pieces.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public Tokenizer Tokenizer { get; }

    public bool O200k { get; }

    /// <summary>Gets how many piece counts are remembered.</summary>
    public int CachedPieces => Volatile.Read(ref _pieceCount);

    public int CountTokens(string text) => CountTokens(text.AsSpan());

    public int CountTokens(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return 0;
        }

        if (!Ascii.IsValid(text) || text.Contains("<|", StringComparison.Ordinal))
        {
            return Tokenizer.CountTokens(text);
        }

        var total = 0;
        for (var start = 0; start < text.Length;)
        {
            var end = AsciiPreTokenizer.NextPiece(text, start, O200k);
            total += CountPiece(text[start..end]);
            start = end;
        }

        return total;
    }

    private int CountPiece(ReadOnlySpan<char> piece)
    {
        if (_pieceLookup.TryGetValue(piece, out var count))
        {
            return count;
        }

        count = Tokenizer.CountTokens(piece, considerPreTokenization: false, considerNormalization: false);
        if (piece.Length <= MaxCachedPieceLength && Volatile.Read(ref _pieceCount) < MaxCachedPieces && _pieceLookup.TryAdd(piece, count))
        {
            Interlocked.Increment(ref _pieceCount);
        }

        return count;
    }
}
