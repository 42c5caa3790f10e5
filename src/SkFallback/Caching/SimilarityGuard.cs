using System.Globalization;
using System.Text.RegularExpressions;

namespace SkFallback.Caching;

/// <summary>
/// Rejects a near match whose specifics differ from the request's even though the embeddings are close: numbers
/// (digits and number words), quoted strings, named entities (capitalised words, acronyms, identifiers, e-mail and web
/// addresses), negation, and a few opposite pairs (before/after, increase/decrease, ...). Embeddings place
/// "refund order 1234" and "refund order 5678" almost on top of each other; this guard keeps them apart.
/// </summary>
internal static partial class SimilarityGuard
{
    /// <summary>Why a near match was rejected; the names are the metric tag values.</summary>
    public enum Rejection
    {
        /// <summary>Not rejected.</summary>
        None,

        /// <summary>The numbers differ.</summary>
        Number,

        /// <summary>The quoted strings differ.</summary>
        Quoted,

        /// <summary>The named entities differ.</summary>
        Entity,

        /// <summary>One is negated and the other is not, or they use opposite words.</summary>
        Negation,
    }

    private static readonly Dictionary<string, string> NumberWords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["zero"] = "0", ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4", ["five"] = "5", ["six"] = "6",
        ["seven"] = "7", ["eight"] = "8", ["nine"] = "9", ["ten"] = "10", ["eleven"] = "11", ["twelve"] = "12",
        ["thirteen"] = "13", ["fourteen"] = "14", ["fifteen"] = "15", ["sixteen"] = "16", ["seventeen"] = "17",
        ["eighteen"] = "18", ["nineteen"] = "19", ["twenty"] = "20", ["thirty"] = "30", ["forty"] = "40", ["fifty"] = "50",
        ["sixty"] = "60", ["seventy"] = "70", ["eighty"] = "80", ["ninety"] = "90", ["hundred"] = "100",
        ["thousand"] = "1000", ["million"] = "1000000", ["billion"] = "1000000000", ["dozen"] = "12", ["half"] = "0.5",
        ["double"] = "x2", ["twice"] = "x2", ["triple"] = "x3", ["single"] = "1",
    };

    private static readonly HashSet<string> NegationWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "without", "cannot", "except",
        "excluding", "exclude", "avoid", "lack", "lacks",
    };

    private static readonly (string A, string B)[] Opposites =
    [
        ("before", "after"), ("increase", "decrease"), ("increases", "decreases"), ("above", "below"), ("more", "less"),
        ("maximum", "minimum"), ("max", "min"), ("buy", "sell"), ("add", "remove"), ("enable", "disable"),
        ("open", "close"), ("start", "stop"), ("largest", "smallest"), ("highest", "lowest"), ("cheapest", "expensive"),
        ("earliest", "latest"), ("first", "last"), ("import", "export"), ("encrypt", "decrypt"), ("upload", "download"),
        ("ascending", "descending"), ("hot", "cold"), ("win", "lose"), ("true", "false"), ("accept", "reject"),
        ("allow", "deny"), ("north", "south"), ("east", "west"), ("left", "right"), ("under", "over"),
        ("subscribe", "unsubscribe"), ("lock", "unlock"), ("minimize", "maximize"), ("faster", "slower"), ("pros", "cons"),
    ];

    /// <summary>Words that open a sentence without naming anything, so a capital letter there is no entity.</summary>
    private static readonly HashSet<string> SentenceOpeners = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "the", "what", "what's", "whats", "how", "how's", "why", "where", "where's", "when", "who", "who's",
        "which", "whose", "can", "could", "would", "will", "should", "shall", "may", "might", "must", "do", "does", "did",
        "is", "are", "was", "were", "am", "have", "has", "had", "please", "pls", "tell", "give", "show", "list", "explain",
        "describe", "write", "summarize", "summarise", "translate", "find", "get", "make", "create", "help", "i", "i'm",
        "i'd", "i've", "i'll", "im", "my", "me", "we", "we're", "our", "you", "your", "it", "its", "it's", "this", "that",
        "these", "those", "there", "here", "in", "on", "at", "for", "from", "to", "of", "with", "by", "about", "as", "if",
        "and", "or", "but", "so", "then", "now", "also", "not", "no", "yes", "hi", "hello", "hey", "thanks", "thank", "ok",
        "okay", "let", "let's", "lets", "compute", "calculate", "convert", "check", "send", "book", "cancel", "refund",
        "order", "set", "turn", "add", "remove", "delete", "update", "change", "look", "search", "recommend", "suggest",
        "define", "compare", "provide", "name", "generate", "draft", "rewrite", "fix", "any", "some", "all", "each",
        "every", "need", "want", "quick", "quickly", "briefly", "just", "only", "another", "other", "is", "any", "whats",
        "best", "good", "new", "share", "display", "return", "reset", "schedule", "remind", "track", "estimate",
        "recap", "outline", "fetch", "pull", "run", "open", "close", "start", "stop", "enable", "disable", "sort",
        "count", "email", "text", "call", "buy", "sell", "transfer", "pay", "move", "copy", "print", "read", "tl;dr",
        "much", "many", "roughly", "approximately", "about", "kindly", "could", "would", "i'm", "give", "mind",
    };

    /// <summary>Returns why <paramref name="request"/> must not be served the answer cached for <paramref name="cached"/>, or <see cref="Rejection.None"/>.</summary>
    public static Rejection Check(string request, string cached)
    {
        if (string.Equals(request, cached, StringComparison.Ordinal))
        {
            return Rejection.None;
        }

        if (!SameSet(Numbers(request), Numbers(cached)))
        {
            return Rejection.Number;
        }

        if (!SameSet(Quoted(request), Quoted(cached)))
        {
            return Rejection.Quoted;
        }

        // A capitalised word opening a sentence may be an entity ("Paris weather?") or just an imperative ("Reserve a
        // table"): such weak entities only count when they clash with the other side's, or stand for a strong one.
        var (strongA, weakA) = Entities(request);
        var (strongB, weakB) = Entities(cached);
        if (!Covered(strongA, strongB, weakB) || !Covered(strongB, strongA, weakA) ||
            (!Covered(weakA, strongB, weakB) && !Covered(weakB, strongA, weakA)))
        {
            return Rejection.Entity;
        }

        if (Negated(request) != Negated(cached) || OppositeWords(request, cached))
        {
            return Rejection.Negation;
        }

        return Rejection.None;
    }

    internal static List<string> Numbers(string text)
    {
        var numbers = new List<string>();
        foreach (Match match in NumberPattern().Matches(text))
        {
            var digits = match.Value.Replace(",", string.Empty, StringComparison.Ordinal);
            numbers.Add(decimal.TryParse(digits, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
                ? value.ToString("G29", CultureInfo.InvariantCulture)
                : digits);
        }

        foreach (Match word in WordPattern().Matches(text))
        {
            if (NumberWords.TryGetValue(word.Value, out var number))
            {
                numbers.Add(number);
            }
        }

        numbers.Sort(StringComparer.Ordinal);
        return numbers;
    }

    internal static List<string> Quoted(string text)
    {
        var quoted = new List<string>();
        foreach (Match match in QuotedPattern().Matches(text))
        {
            for (var g = 1; g < match.Groups.Count; g++)
            {
                if (match.Groups[g].Success)
                {
                    quoted.Add(match.Groups[g].Value.Trim().ToUpperInvariant());
                }
            }
        }

        quoted.Sort(StringComparer.Ordinal);
        return quoted;
    }

    internal static (List<string> Strong, List<string> Weak) Entities(string text)
    {
        var entities = new List<string>();
        var weak = new List<string>();
        var sentenceStart = true;
        foreach (Match match in TokenPattern().Matches(text))
        {
            var token = match.Value;
            var atStart = sentenceStart;
            sentenceStart = token is "." or "!" or "?" or "\n";
            switch (Classify(token, atStart, out var entity))
            {
                case EntityKind.Strong:
                    entities.Add(entity);
                    break;
                case EntityKind.Weak:
                    weak.Add(entity);
                    break;
            }
        }

        return (entities, weak);
    }

    /// <summary>
    /// Whether a token names something, upper-cased: an address, a word with letters and digits or an acronym wherever it
    /// stands; a capitalised word within a sentence (strong) or opening one (weak, unless a common opener).
    /// </summary>
    private static EntityKind Classify(string token, bool atStart, out string entity)
    {
        entity = string.Empty;
        if (token.Length == 1 && !char.IsLetterOrDigit(token[0]))
        {
            return EntityKind.None;
        }

        var word = token.TrimEnd('\'', '’');
        if (word.Contains('@', StringComparison.Ordinal) || word.Contains("://", StringComparison.Ordinal) || word.StartsWith("www.", StringComparison.OrdinalIgnoreCase))
        {
            entity = word.ToUpperInvariant();
            return EntityKind.Strong;
        }

        var hasDigit = word.Any(char.IsAsciiDigit);
        var hasLetter = word.Any(char.IsLetter);
        if (hasDigit && hasLetter)
        {
            entity = word.ToUpperInvariant();
            return EntityKind.Strong;
        }

        if (!hasLetter || !char.IsUpper(word[0]))
        {
            return EntityKind.None;
        }

        var bare = Possessive().Replace(word, string.Empty);
        if (bare.Length > 1 && bare.All(c => !char.IsLetter(c) || char.IsUpper(c)))
        {
            entity = bare.ToUpperInvariant(); // an acronym, wherever it stands
            return EntityKind.Strong;
        }

        if (bare is "I" || NumberWords.ContainsKey(bare))
        {
            return EntityKind.None;
        }

        if (atStart)
        {
            if (SentenceOpeners.Contains(bare) || bare.Contains('\'', StringComparison.Ordinal) || bare.Contains('’', StringComparison.Ordinal))
            {
                return EntityKind.None;
            }

            entity = bare.ToUpperInvariant();
            return EntityKind.Weak;
        }

        entity = bare.ToUpperInvariant();
        return EntityKind.Strong;
    }

    private static bool Covered(List<string> items, List<string> strong, List<string> weak)
    {
        foreach (var item in items)
        {
            if (!strong.Contains(item, StringComparer.Ordinal) && !weak.Contains(item, StringComparer.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    internal static bool Negated(string text)
    {
        foreach (Match word in WordPattern().Matches(text))
        {
            var value = word.Value;
            if (NegationWords.Contains(value) || value.EndsWith("n't", StringComparison.OrdinalIgnoreCase) || value.EndsWith("n’t", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool OppositeWords(string request, string cached)
    {
        HashSet<string>? a = null;
        HashSet<string>? b = null;
        foreach (var (x, y) in Opposites)
        {
            a ??= Words(request);
            b ??= Words(cached);
            if ((a.Contains(x) && !a.Contains(y) && b.Contains(y) && !b.Contains(x)) ||
                (a.Contains(y) && !a.Contains(x) && b.Contains(x) && !b.Contains(y)))
            {
                return true;
            }
        }

        return false;
    }

    private static HashSet<string> Words(string text)
    {
        var words = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match word in WordPattern().Matches(text))
        {
            words.Add(word.Value);
        }

        return words;
    }

    private static bool SameSet(List<string> a, List<string> b)
    {
        // Compared as sets: "2 adults and 2 children" and "two adults, two children" name the same numbers.
        var x = a.Distinct(StringComparer.Ordinal).ToList();
        var y = b.Distinct(StringComparer.Ordinal).ToList();
        return x.SequenceEqual(y, StringComparer.Ordinal);
    }

    [GeneratedRegex(@"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[\p{L}][\p{L}'’]*", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();

    [GeneratedRegex("\"([^\"]+)\"|“([^”]+)”|(?<![\\w])'([^']+)'(?![\\w])|‘([^’]+)’|`([^`]+)`", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedPattern();

    [GeneratedRegex(@"[\w@][\w@.:/#+'’-]*[\w]|[\w]|[.!?\n]", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"['’]s$", RegexOptions.CultureInvariant)]
    private static partial Regex Possessive();

    private enum EntityKind
    {
        None,
        Strong,
        Weak,
    }
}
