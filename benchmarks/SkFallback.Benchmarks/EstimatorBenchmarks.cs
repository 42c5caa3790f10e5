using System.ComponentModel;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using SkFallback.Cost;

namespace SkFallback.Benchmarks;

/// <summary>
/// Prompt-token estimation before dispatch (<see cref="TokenEstimator.EstimatePromptTokens"/>): a 1 KB prompt for an
/// <c>o200k_base</c> model (gpt-4o) and for a corrected family (Anthropic, <c>cl100k_base</c> × learned factor), a 10 KB
/// prompt, a 1 KB prompt with 10 tool schemas, and a 1 KB prompt whose words the tokenizer has not seen; and, for
/// comparison, the library's own count of the 1 KB texts.
/// </summary>
/// <remarks>
/// Prompts are a system message plus a user message of English prose; each call takes the next of 64 distinct prompts
/// built in <c>GlobalSetup</c>, so no variant counts one string over and over. Microsoft.ML.Tokenizers caches the
/// tokens of words it has seen (as real traffic, whose vocabulary repeats, also benefits from); the
/// <c>UnseenWords</c> variant rotates over 4,096 prompts of random letters, so nearly every word misses that cache.
/// Tool schemas are counted once per tool instance and encoding; the <c>FirstSeen</c> variant uses a fresh estimator per
/// call, so it pays reading the 10 schemas every time.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 6, iterationCount: 20)]
public class EstimatorBenchmarks
{
    private const string O200kModel = "gpt-4o-2024-08-06";
    private const string CorrectedModel = "claude-haiku-4-5-20251001";
    private const int Rotation = 64;

    private static readonly string[] Sentences =
    [
        "The quarterly report shows revenue growth in every region except the north, where two warehouses closed.",
        "Please draft a reply to the customer explaining that the replacement will ship on Monday.",
        "Our deployment pipeline runs the database migrations before the new version of the application starts.",
        "If the carrier cannot confirm delivery within five working days, we refund the order in full.",
        "The team agreed to move the release by one week so that QA can finish the regression suite.",
        "Summarise the main risks of the lease renewal and recommend one of the two offers.",
        "Volunteers should meet at the north gate at nine, bring water, and wear sturdy shoes.",
        "The new expense policy raises the approval limit for travel but lowers it for equipment.",
        "Compare the latency of the two providers over the last week and flag any spike above the usual p95.",
        "When the reset email does not arrive within ten minutes, check the spam folder before contacting support.",
        "Each invoice lists the customer, the due date, the lines ordered and whether it has been paid.",
        "The night shift has only two people on duty, so the receiving procedure must stay simple.",
    ];

    private List<ChatMessage>[] _oneKb = null!;
    private List<ChatMessage>[] _tenKb = null!;
    private List<ChatMessage>[] _unseen = null!;
    private ChatOptions _tools = null!;
    private TokenEstimator _estimator = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _oneKb = [.. Enumerable.Range(0, Rotation).Select(_ => Conversation(Prose(random, 1024)))];
        _tenKb = [.. Enumerable.Range(0, Rotation).Select(_ => Conversation(Prose(random, 10 * 1024)))];
        _unseen = [.. Enumerable.Range(0, 4096).Select(_ => Conversation(RandomWords(random, 1024)))];
        _tools = new ChatOptions { Tools = [.. Enumerable.Range(0, 10).Select(Tool)] };
        _estimator = new TokenEstimator();

        // Guard the measurement: the estimates are real counts of about the expected size.
        var estimate = _estimator.EstimatePromptTokens(O200kModel, _oneKb[0]);
        var withTools = _estimator.EstimatePromptTokens(O200kModel, _oneKb[0], _tools);
        if (estimate is < 150 or > 400 || withTools - estimate < 10 * 40)
        {
            throw new InvalidOperationException($"Unexpected estimates: {estimate} tokens for 1 KB, {withTools - estimate} for 10 tools.");
        }
    }

    [Benchmark(Baseline = true)]
    public int OneKb_O200k() => _estimator.EstimatePromptTokens(O200kModel, _oneKb[Next()]);

    // For comparison: the library's own count of the same two texts (its regular-expression pre-tokenization), without
    // the message overhead: what counting text cost before the estimator split ASCII text itself.
    [Benchmark]
    public int OneKb_LibraryCountOnly()
    {
        var messages = _oneKb[Next()];
        var tokenizer = TokenEstimator.TokenizerOf(TokenizerFamily.OpenAIO200k).Tokenizer;
        return tokenizer.CountTokens(messages[0].Text) + tokenizer.CountTokens(messages[1].Text);
    }

    [Benchmark]
    public int OneKb_CorrectedFamily() => _estimator.EstimatePromptTokens(CorrectedModel, _oneKb[Next()]);

    [Benchmark]
    public int OneKb_UnseenWords() => _estimator.EstimatePromptTokens(O200kModel, _unseen[_next++ & 4095]);

    [Benchmark]
    public int TenKb_O200k() => _estimator.EstimatePromptTokens(O200kModel, _tenKb[Next()]);

    [Benchmark]
    public int OneKb_TenTools() => _estimator.EstimatePromptTokens(O200kModel, _oneKb[Next()], _tools);

    [Benchmark]
    public int OneKb_TenTools_FirstSeen() => new TokenEstimator().EstimatePromptTokens(O200kModel, _oneKb[Next()], _tools);

    private int Next() => _next++ & (Rotation - 1);

    // System prompt plus user prose; the two contents together are `bytes` UTF-8 bytes (ASCII text, so also characters).
    private static List<ChatMessage> Conversation(string text)
    {
        const string system = "You are a concise assistant for a logistics company. Answer in plain English.";
        return [new(ChatRole.System, system), new(ChatRole.User, text[..^system.Length])];
    }

    private static string Prose(Random random, int length)
    {
        var text = new StringBuilder(length + 128);
        while (text.Length < length)
        {
            text.Append(Sentences[random.Next(Sentences.Length)]).Append(' ');
        }

        return text.ToString(0, length);
    }

    private static string RandomWords(Random random, int length)
    {
        var text = new StringBuilder(length + 16);
        while (text.Length < length)
        {
            var word = random.Next(3, 10);
            for (var i = 0; i < word; i++)
            {
                text.Append((char)('a' + random.Next(26)));
            }

            text.Append(' ');
        }

        return text.ToString(0, length);
    }

    private static AIFunction Tool(int index) => AIFunctionFactory.Create(
        ([Description("IATA code of the departure airport, for example LHR or JFK.")] string origin,
         [Description("IATA code of the arrival airport.")] string destination,
         [Description("Departure date in ISO 8601 format (YYYY-MM-DD).")] string departureDate,
         [Description("Number of adult passengers, between 1 and 9.")] int adults,
         [Description("Only show fares that allow free changes.")] bool flexibleOnly) => "[]",
        $"search_flights_{index}",
        "Search scheduled flights between two airports and return the cheapest fares for each itinerary, with baggage rules and change fees.");
}
