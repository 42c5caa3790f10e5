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
