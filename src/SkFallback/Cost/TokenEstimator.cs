using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace SkFallback.Cost;

/// <summary>
/// Counts the prompt tokens of a chat request before dispatch with the model family's tiktoken encoding
/// (Microsoft.ML.Tokenizers), following OpenAI's published counting method, and learns a per-model correction
/// from the usage providers report.
/// </summary>
/// <remarks>
/// <para>
/// Method (OpenAI cookbook, "How to count tokens with tiktoken", <c>num_tokens_from_messages</c>): every message
/// costs <see cref="TokensPerMessage"/> (3) plus the tokens of its role, its content and, when it has an author
/// name, <see cref="TokensPerName"/> (1) plus the tokens of the name; every reply is primed with
/// <see cref="ReplyPrimingTokens"/> (3). For OpenAI families this reproduces the API's <c>prompt_tokens</c> for text.
/// </para>
/// <para>
/// Tool schemas follow the cookbook's function counting method (<c>num_tokens_for_tools</c>): each
/// <see cref="AIFunctionDeclaration"/> costs 7 tokens (<c>o200k_base</c> families; 10 for <c>cl100k_base</c>) plus the
/// tokens of <c>name:description</c>; a non-empty <c>properties</c> object adds 3, each property 3 plus the tokens of
/// <c>name:type:description</c>, an <c>enum</c> −3 plus 3 and the item's tokens per item; one trailing period of a
/// description is dropped; a request with functions adds 12 once. That reproduces the API's <c>prompt_tokens</c> on the
/// cookbook's example for gpt-4o, gpt-4o-mini, gpt-4 and gpt-3.5-turbo. Shapes the method does not cover are counted by a
/// documented fallback: a property without a description is <c>name:type</c>; a type list (<c>["string","null"]</c>) is
/// joined with <c>" | "</c>; a property without <c>type</c> (<c>anyOf</c>, <c>$ref</c>, <c>const</c>…) or that is not an
/// object is <c>name:</c> followed by its compact JSON; nested object properties (and those of array items) are counted
/// like top-level ones; a schema without <c>properties</c> but with other keywords, or that is not an object, adds its
/// raw JSON; a tool that is not a function declaration (a hosted tool) costs <see cref="TokensPerTool"/> plus its name and
/// description. Function calls count their name and JSON arguments, function results their serialized result.
/// </para>
/// <para>
/// Images follow OpenAI's documented rule for gpt-4o-class vision: <c>detail: low</c> costs 85 tokens; <c>high</c> (and
/// <c>auto</c> or no detail, counted as high, the upper bound) costs 85 plus 170 per 512-pixel tile after the image is
/// scaled down to fit 2048×2048 and then so that its shorter side is at most 768. The detail is read from the content's
/// <c>AdditionalProperties["detail"]</c> (as the OpenAI adapter does); the size from the header of a
/// <see cref="DataContent"/>'s bytes (PNG, JPEG, GIF, WebP). When the size is unknown (a <see cref="UriContent"/>, or
/// bytes in another format) a high-detail image counts <see cref="TokensPerImage"/> (765, a 1024×1024 image). Models
/// OpenAI bills images differently for (gpt-4o-mini, o-series, patch-based models) are not told apart.
/// </para>
/// <para>
/// Families without a public .NET tokenizer (Anthropic, Gemini, Mistral, DeepSeek, Qwen) are counted with the
/// closest tiktoken encoding and scaled by <see cref="DefaultCorrection"/>. These factors are assumptions: starting
/// points drawn from public third-party comparisons of the vendors' token counts with tiktoken on English text and
/// code, not figures the vendors publish. <see cref="Observe"/> replaces them with what the provider actually reports.
/// </para>
/// <para>
/// Learning: each observation moves the model's factor toward <c>factor × reported / estimated</c> by an exponential
/// moving average (weight <see cref="LearningRate"/>), by at most <see cref="MaxStep"/> per observation, and keeps it
/// within [<see cref="MinCorrection"/>, <see cref="MaxCorrection"/>], so one odd report cannot swing it far.
/// Thread-safe. Once a model and its tools have been seen, estimating text, images and tools allocates nothing beyond
/// the tokenizer's own work; function-call arguments and non-string results are serialized to JSON to be counted.
/// </para>
/// <para>
/// Speed: ASCII text (most prose, code and JSON) is split into pre-tokenization pieces by a scanner equivalent to the
/// encoding's pattern on ASCII, and each piece is counted by the library's byte-pair encoder once and then remembered
/// (short pieces only, a bounded number per encoding); that avoids the library's regular expression and its per-call
/// overhead, which other text (and text that may hold special tokens) still takes. The counts are the library's either
/// way (a differential test checks the split and the counts against the library).
/// </para>
/// </remarks>
public sealed class TokenEstimator : ITokenEstimator
{
    /// <summary>Tokens every message costs besides its content (OpenAI's documented 3).</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Tokens an author name costs besides the name itself (OpenAI's documented 1).</summary>
    public const int TokensPerName = 1;

    /// <summary>Tokens that prime the assistant's reply (OpenAI's documented 3: <c>&lt;|start|&gt;assistant&lt;|message|&gt;</c>).</summary>
    public const int ReplyPrimingTokens = 3;

    /// <summary>Tokens added for a tool that is not a function declaration (a hosted tool), besides its name and description (an approximation).</summary>
    public const int TokensPerTool = 8;

    /// <summary>Estimate for one high-detail image of unknown size: OpenAI's documented cost of a 1024×1024 image (85 base + 4 tiles × 170).</summary>
    public const int TokensPerImage = 765;

    /// <summary>The lowest correction factor learning may reach.</summary>
    public const double MinCorrection = 0.5;

    /// <summary>The highest correction factor learning may reach.</summary>
    public const double MaxCorrection = 2.0;

    /// <summary>The weight of one observation in the moving average of the correction and of the output tokens.</summary>
    public const double LearningRate = 0.2;

    /// <summary>The most the correction factor may move on one observation.</summary>
    public const double MaxStep = 0.1;

    private static readonly Lazy<TiktokenEncoding> O200k = new(() => new(TiktokenTokenizer.CreateForEncoding("o200k_base"), o200k: true), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<TiktokenEncoding> Cl100k = new(() => new(TiktokenTokenizer.CreateForEncoding("cl100k_base"), o200k: false), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly ConcurrentDictionary<string, ModelState> _models = new(StringComparer.OrdinalIgnoreCase);
    private readonly ToolTokens _tools = new();

    /// <summary>Initializes a new instance of the <see cref="TokenEstimator"/> class.</summary>
    /// <param name="defaultOutputTokens">Output tokens assumed for a model with no <see cref="ChatOptions.MaxOutputTokens"/> and no observations yet.</param>
    public TokenEstimator(int defaultOutputTokens = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(defaultOutputTokens);
        DefaultOutputTokens = defaultOutputTokens;
    }

    /// <summary>Gets the output tokens assumed for a model with no <see cref="ChatOptions.MaxOutputTokens"/> and no observations yet.</summary>
    /// <value>Defaults to 1024.</value>
    public int DefaultOutputTokens { get; }

    /// <summary>Gets the family a model id belongs to, by its prefix (a <c>provider/</c> prefix is ignored).</summary>
    /// <param name="model">The model id.</param>
    /// <returns>The family.</returns>
    public static TokenizerFamily FamilyOf(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var id = model.AsSpan();
        var slash = id.LastIndexOf('/');
        if (slash >= 0)
        {
            id = id[(slash + 1)..];
        }

        // Newer OpenAI prefixes first: "gpt-4o" and "gpt-4.1" also start with "gpt-4".
        if (Starts(id, "gpt-4o") || Starts(id, "chatgpt-4o") || Starts(id, "gpt-4.1") || Starts(id, "gpt-4.5") || Starts(id, "gpt-5")
            || Starts(id, "o1") || Starts(id, "o3") || Starts(id, "o4") || Starts(id, "gpt-oss"))
        {
            return TokenizerFamily.OpenAIO200k;
        }

        if (Starts(id, "gpt-4") || Starts(id, "gpt-3.5") || Starts(id, "gpt-35"))
        {
            return TokenizerFamily.OpenAICl100k;
        }

        if (Starts(id, "claude"))
        {
            return TokenizerFamily.Anthropic;
        }

        if (Starts(id, "gemini") || Starts(id, "gemma"))
        {
            return TokenizerFamily.Gemini;
        }

        if (Starts(id, "mistral") || Starts(id, "ministral") || Starts(id, "codestral") || Starts(id, "pixtral")
            || Starts(id, "magistral") || Starts(id, "devstral") || Starts(id, "open-mistral") || Starts(id, "open-mixtral"))
        {
            return TokenizerFamily.Mistral;
        }

        if (Starts(id, "deepseek"))
        {
            return TokenizerFamily.DeepSeek;
        }

        return Starts(id, "qwen") || Starts(id, "qwq") ? TokenizerFamily.Qwen : TokenizerFamily.Unknown;
    }

    /// <summary>Gets the starting correction factor of a family (1.0 where the encoding is exact).</summary>
    /// <param name="family">The family.</param>
    /// <returns>The factor the raw tiktoken count is multiplied by before any observation.</returns>
    /// <remarks>
    /// Assumptions, not vendor figures: Anthropic 1.20 over <c>cl100k_base</c> (Claude 3+ tokenizers are reported to
    /// yield roughly 15–30% more tokens than cl100k on English text and code); Gemini 1.05 over <c>o200k_base</c>
    /// (its 256k SentencePiece vocabulary yields counts close to o200k); Mistral 1.15 over <c>cl100k_base</c>
    /// (Tekken/SentencePiece v3 counts run above cl100k on English); DeepSeek 1.05 over <c>cl100k_base</c> (its 128k
    /// byte-level BPE is close to cl100k on English, smaller on CJK); Qwen 1.05 over <c>o200k_base</c> (its 151k
    /// byte-level BPE is close to o200k). <see cref="Observe"/> corrects each model from reported usage.
    /// </remarks>
    public static double DefaultCorrection(TokenizerFamily family) => family switch
    {
        TokenizerFamily.Anthropic => 1.20,
        TokenizerFamily.Gemini => 1.05,
        TokenizerFamily.Mistral => 1.15,
        TokenizerFamily.DeepSeek => 1.05,
        TokenizerFamily.Qwen => 1.05,
        _ => 1.0,
    };

    /// <summary>Gets the name of the tiktoken encoding a family is counted with.</summary>
    /// <param name="family">The family.</param>
    /// <returns><c>o200k_base</c> or <c>cl100k_base</c>.</returns>
    public static string EncodingOf(TokenizerFamily family) => UsesCl100k(family) ? "cl100k_base" : "o200k_base";

    /// <summary>Gets the current correction factor of a model (its family's default until it has been observed).</summary>
    /// <param name="model">The model id.</param>
    /// <returns>The factor.</returns>
    public double CorrectionOf(string model) => State(model).Correction;

    /// <summary>Counts the tokens of a text with a family's encoding, without overhead or correction.</summary>
    /// <param name="family">The family.</param>
    /// <param name="text">The text.</param>
    /// <returns>The token count.</returns>
    public static int CountText(TokenizerFamily family, string? text) =>
        string.IsNullOrEmpty(text) ? 0 : TokenizerOf(family).CountTokens(text);

    /// <summary>Counts a request's prompt tokens by OpenAI's method, without the family correction.</summary>
    /// <param name="family">The family (selects the encoding).</param>
    /// <param name="messages">The messages.</param>
    /// <param name="options">The options (tools are counted), or <see langword="null"/>.</param>
    /// <returns>The uncorrected count.</returns>
    public int CountPromptTokens(TokenizerFamily family, IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var tokenizer = TokenizerOf(family);
        long total = ReplyPrimingTokens;
        if (messages is IList<ChatMessage> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                total += MessageTokens.Count(tokenizer, list[i]);
            }
        }
        else
        {
            foreach (var message in messages)
            {
                total += MessageTokens.Count(tokenizer, message);
            }
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            var functions = false;
            for (var i = 0; i < tools.Count; i++)
            {
                var tool = tools[i];
                total += _tools.Count(tokenizer, UsesCl100k(family), tool);
                functions |= tool is AIFunctionDeclaration;
            }

            if (functions)
            {
                total += ToolTokens.FunctionsEndTokens;
            }
        }

        return (int)Math.Min(int.MaxValue, total);
    }

    /// <inheritdoc />
    public int EstimatePromptTokens(string model, IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = State(model);
        var raw = CountPromptTokens(state.Family, messages, options);
        return Scale(raw, state.Correction);
    }

    /// <inheritdoc />
    public int EstimateOutputTokens(string model, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (options?.MaxOutputTokens is int max and > 0)
        {
            return max;
        }

        var average = State(model).OutputAverage;
        return average > 0 ? (int)Math.Ceiling(average) : DefaultOutputTokens;
    }

    /// <inheritdoc />
    public void Observe(string model, int estimatedPromptTokens, long reportedInputTokens, long? reportedOutputTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = State(model);
        lock (state)
        {
            if (estimatedPromptTokens > 0 && reportedInputTokens > 0)
            {
                var current = state.Correction;
                var target = current * reportedInputTokens / estimatedPromptTokens;
                var step = Math.Clamp(LearningRate * (target - current), -MaxStep, MaxStep);
                Volatile.Write(ref state.CorrectionValue, Math.Clamp(current + step, MinCorrection, MaxCorrection));
            }

            if (reportedOutputTokens is long output and > 0)
            {
                var previous = state.OutputAverage;
                var next = previous <= 0 ? output : previous + (LearningRate * (output - previous));
                Volatile.Write(ref state.OutputAverageValue, next);
            }
        }
    }

    private static int Scale(int raw, double correction) =>
        correction == 1.0 ? Math.Max(1, raw) : Math.Max(1, (int)Math.Min(int.MaxValue, Math.Ceiling(raw * correction)));

    private static bool Starts(ReadOnlySpan<char> id, string prefix) => id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

    private static bool UsesCl100k(TokenizerFamily family) =>
        family is TokenizerFamily.OpenAICl100k or TokenizerFamily.Anthropic or TokenizerFamily.Mistral or TokenizerFamily.DeepSeek;

    internal static TiktokenEncoding TokenizerOf(TokenizerFamily family) => UsesCl100k(family) ? Cl100k.Value : O200k.Value;

    private ModelState State(string model) =>
        _models.TryGetValue(model, out var state) ? state : _models.GetOrAdd(model, static m => new ModelState(FamilyOf(m)));

    private sealed class ModelState(TokenizerFamily family)
    {
        public double CorrectionValue = DefaultCorrection(family);
        public double OutputAverageValue;

        public TokenizerFamily Family { get; } = family;

        public double Correction => Volatile.Read(ref CorrectionValue);

        public double OutputAverage => Volatile.Read(ref OutputAverageValue);
    }
}
