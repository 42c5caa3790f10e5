using System.Globalization;
using System.Text;

namespace SkFallback.Simulator.Content;

/// <summary>Builds the deterministic reply text: seeded words, prefixed by a summary of trailing tool results.</summary>
internal sealed class ReplyComposer(int seed, int replyWords)
{
    /// <summary>The refusal sentence of <see cref="SimulatedBehavior.RefusalText"/>.</summary>
    public const string RefusalSentence = "I'm sorry, but I can't help with that.";

    private static readonly string[] Vocabulary =
    [
        "alpha", "amber", "anchor", "arc", "aspen", "atlas", "beacon", "birch", "bright", "brook",
        "cable", "canyon", "cedar", "circuit", "cobalt", "comet", "coral", "crystal", "delta", "drift",
        "ember", "falcon", "fern", "field", "flint", "forest", "frost", "galaxy", "garnet", "glacier",
        "harbor", "hazel", "horizon", "island", "ivory", "jade", "juniper", "lantern", "lattice", "linen",
        "lunar", "maple", "meadow", "meridian", "mesa", "nimbus", "north", "oak", "ocean", "onyx",
        "orbit", "pebble", "pine", "prairie", "prism", "quartz", "quill", "raven", "reef", "ridge",
        "river", "saffron", "sierra", "signal", "silver", "solar", "spruce", "summit", "tide", "timber",
        "topaz", "tundra", "valley", "vector", "velvet", "willow", "zenith", "zephyr",
    ];

    public int Seed => seed;

    public string Words(string modelId, string? lastUserMessage)
    {
        var state = StableHash.Of(seed.ToString(CultureInfo.InvariantCulture), modelId, lastUserMessage);
        var builder = new StringBuilder();
        for (var i = 0; i < replyWords; i++)
        {
            state = StableHash.Mix(state);
            var word = Vocabulary[(int)(state % (ulong)Vocabulary.Length)];
            if (i == 0)
            {
                builder.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
            }
            else
            {
                builder.Append(' ').Append(word);
            }
        }

        return builder.Append('.').ToString();
    }

    public string NormalReply(ChatRequestSummary request)
    {
        var words = Words(request.Model, request.LastUserMessage);
        if (request.TrailingToolResults.Count == 0)
        {
            return words;
        }

        var builder = new StringBuilder();
        foreach (var (name, content) in request.TrailingToolResults)
        {
            builder.Append("The tool ").Append(name).Append(" returned: ").Append(content).Append(". ");
        }

        return builder.Append(words).ToString();
    }

    /// <summary>
    /// The content tokens of a normal reply. A continuation gets the rest of the answer its conversation gets in full,
    /// so partial answer + reply == <see cref="NormalReply"/> (see <see cref="ContinuationTokens"/>).
    /// </summary>
    public List<string> ReplyTokens(ChatRequestSummary request, bool echoPrefix) => request.Continuation == ContinuationKind.None
        ? Tokens(NormalReply(request))
        : ContinuationTokens(request, NormalReply(request), echoPrefix);

    /// <summary>
    /// The tokens that continue <see cref="ChatRequestSummary.PartialAnswer"/> towards <paramref name="fullAnswer"/>.
    /// Prefill and prefix: exactly the remainder (after the prefix itself when <paramref name="echoPrefix"/> is set
    /// for a prefix request, as Mistral answers). Instructed: the remainder, opened by a repetition of the partial
    /// answer's last 0 to 3 words (seeded by the partial answer), as models asked to continue often do. A partial answer
    /// that is not a prefix of the full answer is continued with the full answer after a space.
    /// </summary>
    public List<string> ContinuationTokens(ChatRequestSummary request, string fullAnswer, bool echoPrefix)
    {
        var partial = request.PartialAnswer;
        var rest = ProviderSimulator.ExpectedContinuation(fullAnswer, partial);
        var repeated = string.Empty;
        if (request.Continuation == ContinuationKind.Instructed && fullAnswer.StartsWith(partial, StringComparison.Ordinal))
        {
            var state = StableHash.Of(seed.ToString(CultureInfo.InvariantCulture), "overlap", request.Model, partial);
            repeated = LastWords(partial, (int)(state % 4));
        }

        if (request.Continuation == ContinuationKind.Prefix && echoPrefix)
        {
            repeated = partial;
        }

        var tokens = new List<string>();
        if (repeated.Length > 0)
        {
            tokens.Add(repeated);
        }

        var words = rest.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            var token = i == 0 ? words[i] : " " + words[i];
            if (token.Length > 0)
            {
                tokens.Add(token);
            }
        }

        return tokens;
    }

    /// <summary>The end of <paramref name="text"/> from the start of its <paramref name="count"/>-th last word (a word cut short counts).</summary>
    internal static string LastWords(string text, int count)
    {
        if (count <= 0 || text.Length == 0)
        {
            return string.Empty;
        }

        var start = text.Length;
        for (var found = 0; found < count && start > 0;)
        {
            start--;
            var wordStart = !char.IsWhiteSpace(text[start]) && (start == 0 || char.IsWhiteSpace(text[start - 1]));
            if (wordStart)
            {
                found++;
            }
        }

        return text[start..];
    }

    public string ToolCallId(ChatRequestSummary request, string functionName, string prefix, int length) =>
        prefix + StableHash.ToId(
            StableHash.Of(seed.ToString(CultureInfo.InvariantCulture), request.Model, request.LastUserMessage, functionName, request.MessageCount.ToString(CultureInfo.InvariantCulture)),
            length);

    /// <summary>Splits text into streamed tokens: one word per token, each but the first with its leading space.</summary>
    public static List<string> Tokens(string text)
    {
        var words = text.Split(' ');
        var tokens = new List<string>(words.Length);
        for (var i = 0; i < words.Length; i++)
        {
            tokens.Add(i == 0 ? words[i] : " " + words[i]);
        }

        return tokens;
    }
}
