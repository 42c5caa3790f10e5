using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
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
/// Tool schemas: each <see cref="AIFunction"/> is serialized as <c>{"name","description","parameters"}</c> (its JSON
/// schema) and counted, plus <see cref="TokensPerTool"/>. OpenAI renders tools into the prompt in an undocumented
/// format, so this is an approximation (close, not exact). Function calls count their name and JSON arguments,
/// function results their serialized result. Images count a flat <see cref="TokensPerImage"/> (765: OpenAI's
/// documented cost of a high-detail 1024×1024 image, 85 + 4 tiles × 170), because the estimator does not decode images.
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
/// </remarks>
public sealed class TokenEstimator : ITokenEstimator
{
    /// <summary>Tokens every message costs besides its content (OpenAI's documented 3).</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Tokens an author name costs besides the name itself (OpenAI's documented 1).</summary>
    public const int TokensPerName = 1;

    /// <summary>Tokens that prime the assistant's reply (OpenAI's documented 3: <c>&lt;|start|&gt;assistant&lt;|message|&gt;</c>).</summary>
    public const int ReplyPrimingTokens = 3;

    /// <summary>Tokens added per tool definition for the framing around its schema (an approximation).</summary>
    public const int TokensPerTool = 8;

    /// <summary>Flat estimate for one image: OpenAI's documented high-detail cost of a 1024×1024 image (85 base + 4 tiles × 170).</summary>
    public const int TokensPerImage = 765;

    /// <summary>The lowest correction factor learning may reach.</summary>
    public const double MinCorrection = 0.5;

    /// <summary>The highest correction factor learning may reach.</summary>
    public const double MaxCorrection = 2.0;

    /// <summary>The weight of one observation in the moving average of the correction and of the output tokens.</summary>
    public const double LearningRate = 0.2;

    /// <summary>The most the correction factor may move on one observation.</summary>
    public const double MaxStep = 0.1;

    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"), LazyThreadSafetyMode.ExecutionAndPublication);

    // Providers receive arguments and results as compact JSON; the default AI options indent.
    private static readonly JsonSerializerOptions CompactJson = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    private readonly ConcurrentDictionary<string, ModelState> _models = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConditionalWeakTable<AITool, ToolCounts> _toolTokens = [];

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
                total += CountMessage(tokenizer, list[i]);
            }
        }
        else
        {
            foreach (var message in messages)
            {
                total += CountMessage(tokenizer, message);
            }
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            for (var i = 0; i < tools.Count; i++)
            {
                total += CountTool(tokenizer, family, tools[i]);
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

    private static Tokenizer TokenizerOf(TokenizerFamily family) => UsesCl100k(family) ? Cl100k.Value : O200k.Value;

    private ModelState State(string model) =>
        _models.TryGetValue(model, out var state) ? state : _models.GetOrAdd(model, static m => new ModelState(FamilyOf(m)));

    private static long CountMessage(Tokenizer tokenizer, ChatMessage message)
    {
        long total = TokensPerMessage + tokenizer.CountTokens(message.Role.Value);
        if (!string.IsNullOrEmpty(message.AuthorName))
        {
            total += TokensPerName + tokenizer.CountTokens(message.AuthorName);
        }

        var contents = message.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            total += CountContent(tokenizer, contents[i]);
        }

        return total;
    }

    private static int CountContent(Tokenizer tokenizer, AIContent content) => content switch
    {
        TextContent text => string.IsNullOrEmpty(text.Text) ? 0 : tokenizer.CountTokens(text.Text),
        TextReasoningContent => 0, // reasoning is not sent back as prompt text
        FunctionCallContent call => tokenizer.CountTokens(call.Name) + CountJson(tokenizer, call.Arguments),
        FunctionResultContent result => CountResult(tokenizer, result.Result),
        DataContent data when data.HasTopLevelMediaType("image") => TokensPerImage,
        UriContent uri when uri.HasTopLevelMediaType("image") => TokensPerImage,
        _ => 0,
    };

    private static int CountResult(Tokenizer tokenizer, object? result) => result switch
    {
        null => 0,
        string s => s.Length == 0 ? 0 : tokenizer.CountTokens(s),
        JsonElement element => tokenizer.CountTokens(element.GetRawText()),
        _ => tokenizer.CountTokens(JsonSerializer.Serialize(result, CompactJson.GetTypeInfo(result.GetType()))),
    };

    private static int CountJson(Tokenizer tokenizer, IDictionary<string, object?>? arguments) =>
        arguments is null || arguments.Count == 0
            ? 0
            : tokenizer.CountTokens(JsonSerializer.Serialize(arguments, CompactJson.GetTypeInfo(typeof(IDictionary<string, object?>))));

    private int CountTool(Tokenizer tokenizer, TokenizerFamily family, AITool tool)
    {
        // A schema is serialized and counted once per tool instance and encoding; tools are long-lived.
        var counts = _toolTokens.GetValue(tool, static _ => new ToolCounts());
        var cl100k = UsesCl100k(family);
        var known = cl100k ? Volatile.Read(ref counts.Cl100k) : Volatile.Read(ref counts.O200k);
        if (known >= 0)
        {
            return known;
        }

        var count = TokensPerTool + tokenizer.CountTokens(tool.Name)
            + (string.IsNullOrEmpty(tool.Description) ? 0 : tokenizer.CountTokens(tool.Description));
        if (tool is AIFunctionDeclaration function)
        {
            count += tokenizer.CountTokens(function.JsonSchema.GetRawText());
        }

        Volatile.Write(ref cl100k ? ref counts.Cl100k : ref counts.O200k, count);
        return count;
    }

    private sealed class ToolCounts
    {
        public int O200k = -1;
        public int Cl100k = -1;
    }

    private sealed class ModelState(TokenizerFamily family)
    {
        public double CorrectionValue = DefaultCorrection(family);
        public double OutputAverageValue;

        public TokenizerFamily Family { get; } = family;

        public double Correction => Volatile.Read(ref CorrectionValue);

        public double OutputAverage => Volatile.Read(ref OutputAverageValue);
    }
}
