using System.Text;
using CsCheck;
using SkFallback.Streaming;

namespace SkFallback.Tests.Streaming;

public sealed class ContinuationOverlapTrimmerTests
{
    private static string Join(ContinuationOverlapTrimmer trimmer, params string[] chunks)
    {
        var output = new StringBuilder();
        foreach (var chunk in chunks)
        {
            output.Append(trimmer.Push(chunk));
        }

        return output.Append(trimmer.Flush()).ToString();
    }

    [Fact]
    public void Push_InstructedRepeatOfLastWords_DropsTheRepetition()
    {
        var trimmer = new ContinuationOverlapTrimmer("The quick brown fox jumps", detectRepetition: true);

        Assert.Equal(" over the dog", Join(trimmer, "brown fox jumps over the dog"));
        Assert.Equal("brown fox jumps".Length, trimmer.TrimmedLength);
    }

    [Fact]
    public void Push_RepetitionSplitAcrossChunks_HoldsUntilDecidedThenDrops()
    {
        var trimmer = new ContinuationOverlapTrimmer("The quick brown fox jumps", detectRepetition: true);

        Assert.Equal(string.Empty, trimmer.Push("br"));
        Assert.Equal(string.Empty, trimmer.Push("own fox j"));
        Assert.False(trimmer.Settled);
        Assert.Equal(" over", trimmer.Push("umps over"));
        Assert.True(trimmer.Settled);
        Assert.Equal(" the dog", trimmer.Push(" the dog"));
    }

    [Fact]
    public void Push_WordCutShortThenRepeatedWhole_JoinsTheWord()
    {
        var trimmer = new ContinuationOverlapTrimmer("a bright ga", detectRepetition: true);

        Assert.Equal("mma ray", Join(trimmer, "gam", "ma ray"));
    }

    [Fact]
    public void Push_NoRepetition_PassesEverythingThrough()
    {
        var trimmer = new ContinuationOverlapTrimmer("The quick brown fox", detectRepetition: true);

        Assert.Equal(" jumps over", Join(trimmer, " jumps", " over"));
        Assert.Equal(0, trimmer.TrimmedLength);
    }

    [Fact]
    public void Push_MatchInsideAWord_IsNotARepetition()
    {
        // "own" ends the delivered text but does not start a word there.
        var trimmer = new ContinuationOverlapTrimmer("The quick brown", detectRepetition: true);

        Assert.Equal("owners agree", Join(trimmer, "owners agree"));
    }

    [Fact]
    public void Push_PrefillWithoutRepetitionDetection_DropsOnlyTheWhitespaceThePrefillLeftOut()
    {
        var trimmer = new ContinuationOverlapTrimmer("Hello world ", detectRepetition: false);

        Assert.Equal("again", Join(trimmer, " ", "again"));
    }

    [Fact]
    public void Push_PrefillWithoutRepetitionDetection_KeepsRepeatedWords()
    {
        var trimmer = new ContinuationOverlapTrimmer("that is that", detectRepetition: false);

        Assert.Equal(" that", Join(trimmer, " that"));
    }

    [Fact]
    public void Push_ExpectedEcho_DropsItEvenWhenLongerThanTheLookBack()
    {
        var delivered = string.Join(' ', Enumerable.Repeat("word", 100));
        var trimmer = new ContinuationOverlapTrimmer(delivered, detectRepetition: false, expectedEcho: delivered);

        Assert.Equal(" next", Join(trimmer, delivered[..150], delivered[150..] + " next"));
        Assert.Equal(delivered.Length, trimmer.TrimmedLength);
    }

    [Fact]
    public void Push_ExpectedEchoMissing_JudgesTheSeamAsUsual()
    {
        var trimmer = new ContinuationOverlapTrimmer("Hello world", detectRepetition: false, expectedEcho: "Hello world");

        Assert.Equal(string.Empty, trimmer.Push("Hel"));
        Assert.Equal("Help! again", trimmer.Push("p! again"));
        Assert.Equal(0, trimmer.TrimmedLength);
    }

    [Fact]
    public void Push_RepetitionLongerThanLookBack_IsNotTrimmed()
    {
        var delivered = "start " + string.Concat(Enumerable.Range(0, 40).Select(i => $"w{i:00} "));
        var repeated = delivered[6..];
        var trimmer = new ContinuationOverlapTrimmer(delivered, detectRepetition: true, maxLookBack: 50);

        var joined = Join(trimmer, repeated + "end");

        Assert.Equal(repeated + "end", joined);
    }

    [Fact]
    public void Push_OnlyTheRepetitionArrives_DeliversNothing()
    {
        var trimmer = new ContinuationOverlapTrimmer("abc def", detectRepetition: true);

        Assert.Equal(string.Empty, Join(trimmer, "def"));
    }

    [Fact]
    public void Flush_StreamEndsInsideAPossibleRepetition_DeliversWhatArrived()
    {
        var trimmer = new ContinuationOverlapTrimmer("alpha beta", detectRepetition: true);

        Assert.Equal(string.Empty, trimmer.Push("be"));
        Assert.Equal("be", trimmer.Flush());
    }

    [Fact]
    public void Push_AfterSettling_ReturnsTheSameStringInstance()
    {
        var trimmer = new ContinuationOverlapTrimmer("abc", detectRepetition: true);
        trimmer.Push(" x");
        var chunk = " next chunk";

        Assert.Same(chunk, trimmer.Push(chunk));
    }

    [Fact]
    public void Push_NothingDelivered_IsSettledFromTheStart()
    {
        var trimmer = new ContinuationOverlapTrimmer(string.Empty, detectRepetition: true);
        var chunk = "Hello";

        Assert.True(trimmer.Settled);
        Assert.Same(chunk, trimmer.Push(chunk));
    }

    [Fact]
    public void Constructor_BadLookBack_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContinuationOverlapTrimmer("a", true, maxLookBack: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContinuationOverlapTrimmer("a", true, maxLookBack: 10_001));
    }

    // ---- properties -------------------------------------------------------------------------------------------

    private static readonly Gen<string> Word = Gen.String[Gen.Char['a', 'z'], 1, 8];

    private static readonly Gen<string> Text =
        Gen.Select(Word.Array[2, 60], Gen.Int[0, 9].Array[59]).Select((words, separators) =>
        {
            var builder = new StringBuilder(words[0]);
            for (var i = 1; i < words.Length; i++)
            {
                builder.Append(separators[i - 1] == 0 ? '\n' : ' ').Append(words[i]);
            }

            return builder.ToString();
        });

    /// <summary>Splits text into chunks at the given cut positions (any number, any order).</summary>
    private static string[] Chunks(string text, int[] cuts)
    {
        var points = cuts.Select(c => c % (text.Length + 1)).Append(0).Append(text.Length).Distinct().Order().ToArray();
        var chunks = new string[points.Length - 1];
        for (var i = 0; i < chunks.Length; i++)
        {
            chunks[i] = text[points[i]..points[i + 1]];
        }

        return chunks;
    }

    /// <summary>The delivered text from the start of its <paramref name="count"/>-th last word (a word cut short counts).</summary>
    private static string LastWords(string text, int count)
    {
        var start = text.Length;
        for (var found = 0; found < count && start > 0;)
        {
            start--;
            if (!char.IsWhiteSpace(text[start]) && (start == 0 || char.IsWhiteSpace(text[start - 1])))
            {
                found++;
            }
        }

        return text[start..];
    }

    private static bool StartsAWord(string text, int start) =>
        start == 0 || !char.IsLetterOrDigit(text[start - 1]) || !char.IsLetterOrDigit(text[start]);

    /// <summary>
    /// Whether the continuation itself opens with a longer word-aligned end of the delivered text than the injected
    /// repetition: such a seam reads the same either way, and no trimmer can tell which was meant.
    /// </summary>
    private static bool Ambiguous(string delivered, string continuation, int injected)
    {
        for (var length = injected + 1; length <= Math.Min(delivered.Length, Math.Min(continuation.Length, ContinuationOverlapTrimmer.DefaultMaxLookBack)); length++)
        {
            var start = delivered.Length - length;
            if (StartsAWord(delivered, start) && string.CompareOrdinal(delivered, start, continuation, 0, length) == 0)
            {
                return true;
            }
        }

        return false;
    }

    [Fact]
    public void Property_InstructedRepeatOfZeroToThreeWords_InAnyChunks_RestoresTheFullText()
    {
        Gen.Select(Text, Gen.Int[1, int.MaxValue], Gen.Int[0, 3], Gen.Int[0, int.MaxValue].Array[0, 12])
            .Select((text, cut, words, cuts) =>
            {
                var at = 1 + (cut % (text.Length - 1));
                var delivered = text[..at];
                var repeated = LastWords(delivered, words);
                return (Full: text, Delivered: delivered, Continuation: repeated + text[at..], Repeated: repeated.Length, Cuts: cuts);
            })
            .Where(c => !Ambiguous(c.Delivered, c.Continuation, c.Repeated))
            .Sample(c =>
            {
                var trimmer = new ContinuationOverlapTrimmer(c.Delivered, detectRepetition: true);
                var joined = c.Delivered + Join(trimmer, Chunks(c.Continuation, c.Cuts));
                Assert.Equal(c.Full, joined);
                Assert.Equal(c.Repeated, trimmer.TrimmedLength);
            }, iter: 2000);
    }

    [Fact]
    public void Property_PrefillSentWithoutTrailingWhitespace_InAnyChunks_RestoresTheFullText()
    {
        Gen.Select(Text, Gen.Int[1, int.MaxValue], Gen.Int[0, int.MaxValue].Array[0, 12])
            .Sample((text, cut, cuts) =>
            {
                var delivered = text[..(1 + (cut % (text.Length - 1)))];
                var prefill = delivered.TrimEnd();
                var trimmer = new ContinuationOverlapTrimmer(delivered, detectRepetition: false);

                var joined = delivered + Join(trimmer, Chunks(text[prefill.Length..], cuts));

                Assert.Equal(text, joined);
            }, iter: 2000);
    }

    [Fact]
    public void Property_PrefixCompletionWithAndWithoutEcho_InAnyChunks_RestoresTheFullText()
    {
        Gen.Select(Text, Gen.Int[1, int.MaxValue], Gen.Bool, Gen.Int[0, int.MaxValue].Array[0, 12])
            .Sample((text, cut, echo, cuts) =>
            {
                var delivered = text[..(1 + (cut % (text.Length - 1)))];
                var answer = echo ? text : text[delivered.Length..];
                var trimmer = new ContinuationOverlapTrimmer(delivered, detectRepetition: false, expectedEcho: echo ? delivered : string.Empty);

                var joined = delivered + Join(trimmer, Chunks(answer, cuts));

                Assert.Equal(text, joined);
            }, iter: 2000);
    }
}
