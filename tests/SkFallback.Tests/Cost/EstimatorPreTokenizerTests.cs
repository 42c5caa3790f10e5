using CsCheck;
using SkFallback.Cost;

namespace SkFallback.Tests.Cost;

/// <summary>
/// The estimator's ASCII fast path splits text exactly as the library's pre-tokenization pattern does, and so counts
/// exactly as the library does, for both encodings: a differential test over random strings.
/// </summary>
public class EstimatorPreTokenizerTests
{
    // Weighted towards the characters the patterns treat specially: case changes, contractions, digits, every kind of
    // white space, punctuation runs, slashes, control characters, and the start of special tokens.
    private const string Tricky = "aAbBzZsStTdDmMlLrReEvV0129' '' \t\n\r\u000B\u000C  \n\r\n.,;:/\\-_(){}[]<>|\"!?#@*\u0001\u001B\u007F~`^";

    // Non-ASCII text and special tokens, which take the library's own path.
    private static readonly string[] Inserts = ["<|endoftext|>", "<|fim_prefix|>", "東京", "naïve", "€", "😀", "’s"];

    private static readonly Gen<string> TrickyText = Gen.Int[0, Tricky.Length - 1].Array[0, 40].Select(indices => new string([.. indices.Select(i => Tricky[i])]));

    private static readonly Gen<string> PrintableText = Gen.Char[' ', '~'].Array[0, 80].Select(chars => new string(chars));

    private static readonly Gen<string> AnyAsciiText = Gen.Char['\0', '\u007F'].Array[0, 60].Select(chars => new string(chars));

    private static readonly Gen<string> MixedText = Gen.OneOf(TrickyText, PrintableText, AnyAsciiText,
        Gen.Select(TrickyText, Gen.Int[0, Inserts.Length - 1].Select(i => Inserts[i]), TrickyText).Select((a, b, c) => a + b + c));

    [Theory]
    [InlineData(TokenizerFamily.OpenAIO200k)]
    [InlineData(TokenizerFamily.OpenAICl100k)]
    public void NextPiece_RandomAscii_SplitsLikeLibraryPattern(TokenizerFamily family)
    {
        var encoding = TokenEstimator.TokenizerOf(family);
        Gen.OneOf(TrickyText, PrintableText, AnyAsciiText).Where(text => !text.Contains("<|", StringComparison.Ordinal)).Sample(text =>
        {
            var expected = encoding.Tokenizer.PreTokenizer!.PreTokenize(text).Select(range => text.Substring(range.Offset, range.Length)).ToList();
            var actual = new List<string>();
            for (var start = 0; start < text.Length;)
            {
                var end = AsciiPreTokenizer.NextPiece(text, start, encoding.O200k);
                if (end <= start)
                {
                    return false;
                }

                actual.Add(text[start..end]);
                start = end;
            }

            return expected.SequenceEqual(actual);
        }, iter: 20_000);
    }

    [Theory]
    [InlineData(TokenizerFamily.OpenAIO200k)]
    [InlineData(TokenizerFamily.OpenAICl100k)]
    public void CountTokens_RandomText_EqualsLibraryCount(TokenizerFamily family)
    {
        var encoding = TokenEstimator.TokenizerOf(family);
        MixedText.Sample(text => encoding.CountTokens(text) == encoding.Tokenizer.CountTokens(text), iter: 20_000);
    }

    [Theory]
    [InlineData(TokenizerFamily.OpenAIO200k)]
    [InlineData(TokenizerFamily.OpenAICl100k)]
    public void CountTokens_SpecialTokenText_TakesLibraryPath(TokenizerFamily family)
    {
        var encoding = TokenEstimator.TokenizerOf(family);
        const string text = "Stop here <|endoftext|> and go on.";

        Assert.Equal(encoding.Tokenizer.CountTokens(text), encoding.CountTokens(text));
    }

    [Theory]
    [InlineData(TokenizerFamily.OpenAIO200k)]
    [InlineData(TokenizerFamily.OpenAICl100k)]
    public void CountTokens_WhitespaceEdges_EqualLibraryCount(TokenizerFamily family)
    {
        var encoding = TokenEstimator.TokenizerOf(family);
        string[] texts = ["", " ", "  ", "\n", "a \n", "a  \n ", "x\t\r\t", "x \t\r\ny", "a    b", "a  12", "it's", "'sHello", "HELLOworld's", "x.'s", "..a", " (Hello", "https://a/b//c\n\n/"];

        foreach (var text in texts)
        {
            Assert.True(encoding.Tokenizer.CountTokens(text) == encoding.CountTokens(text), $"{family} \"{text}\"");
        }
    }

    [Fact]
    public void CountTokens_RepeatedAndLongPieces_RememberedCountsStayExact()
    {
        // The same text counted twice (second time from remembered pieces) and a piece too long to be remembered.
        var encoding = new TiktokenEncoding(TokenEstimator.TokenizerOf(TokenizerFamily.OpenAIO200k).Tokenizer, o200k: true);
        var longWord = new string('x', TiktokenEncoding.MaxCachedPieceLength + 5);
        var text = $"The cat sat on the mat, and the cat sat again. {longWord} {longWord}";

        var first = encoding.CountTokens(text);
        var remembered = encoding.CachedPieces;
        var second = encoding.CountTokens(text);

        Assert.Equal(encoding.Tokenizer.CountTokens(text), first);
        Assert.Equal(first, second);
        Assert.InRange(remembered, 1, 11); // "The", " cat", " sat", " on", " the", " mat", ",", " and", " again", ".", " " at most
        Assert.Equal(remembered, encoding.CachedPieces);
    }
}
