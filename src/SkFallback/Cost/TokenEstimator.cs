using System.Buffers.Binary;
using System.Text;
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

    // OpenAI cookbook, num_tokens_for_tools: func_init per model group, prop_init, prop_key, enum_init, enum_item, func_end.
    internal const int FunctionTokensO200k = 7;
    internal const int FunctionTokensCl100k = 10;
    internal const int PropertiesTokens = 3;
    internal const int PropertyTokens = 3;
    internal const int EnumTokens = -3;
    internal const int EnumItemTokens = 3;
    internal const int FunctionsEndTokens = 12;

    // OpenAI vision pricing: base and per-tile tokens, tile side, and the two scaling bounds.
    internal const int ImageBaseTokens = 85;
    internal const int ImageTileTokens = 170;
    private const long ImageTileSide = 512;
    private const long ImageFitSide = 2048;
    private const long ImageShortSide = 768;

    // Nested object properties deeper than this are not counted (a bound on work; JSON schemas are trees, not graphs).
    private const int MaxSchemaDepth = 16;

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
            var functions = false;
            for (var i = 0; i < tools.Count; i++)
            {
                var tool = tools[i];
                total += CountTool(tokenizer, family, tool);
                functions |= tool is AIFunctionDeclaration;
            }

            if (functions)
            {
                total += FunctionsEndTokens;
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

    private static long CountMessage(TiktokenEncoding tokenizer, ChatMessage message)
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

    private static int CountContent(TiktokenEncoding tokenizer, AIContent content) => content switch
    {
        TextContent text => string.IsNullOrEmpty(text.Text) ? 0 : tokenizer.CountTokens(text.Text),
        TextReasoningContent => 0, // reasoning is not sent back as prompt text
        FunctionCallContent call => tokenizer.CountTokens(call.Name) + CountJson(tokenizer, call.Arguments),
        FunctionResultContent result => CountResult(tokenizer, result.Result),
        DataContent data when data.HasTopLevelMediaType("image") => CountImage(data, data.Data.Span),
        UriContent uri when uri.HasTopLevelMediaType("image") => CountImage(uri, default),
        _ => 0,
    };

    private static int CountResult(TiktokenEncoding tokenizer, object? result) => result switch
    {
        null => 0,
        string s => s.Length == 0 ? 0 : tokenizer.CountTokens(s),
        JsonElement element => tokenizer.CountTokens(element.GetRawText()),
        _ => tokenizer.CountTokens(JsonSerializer.Serialize(result, CompactJson.GetTypeInfo(result.GetType()))),
    };

    private static int CountJson(TiktokenEncoding tokenizer, IDictionary<string, object?>? arguments) =>
        arguments is null || arguments.Count == 0
            ? 0
            : tokenizer.CountTokens(JsonSerializer.Serialize(arguments, CompactJson.GetTypeInfo(typeof(IDictionary<string, object?>))));

    private int CountTool(TiktokenEncoding tokenizer, TokenizerFamily family, AITool tool)
    {
        // A schema is read and counted once per tool instance and encoding; tools are long-lived and immutable.
        var counts = _toolTokens.GetValue(tool, static _ => new ToolCounts());
        var cl100k = UsesCl100k(family);
        var known = cl100k ? Volatile.Read(ref counts.Cl100k) : Volatile.Read(ref counts.O200k);
        if (known != ToolCounts.NotCounted)
        {
            return known;
        }

        int count;
        if (tool is AIFunctionDeclaration function)
        {
            count = (cl100k ? FunctionTokensCl100k : FunctionTokensO200k)
                + CountLine(tokenizer, function.Name, null, WithoutFinalPeriod(function.Description))
                + CountSchema(tokenizer, function.JsonSchema);
        }
        else
        {
            count = TokensPerTool + tokenizer.CountTokens(tool.Name) + CountText(tokenizer, tool.Description);
        }

        Volatile.Write(ref cl100k ? ref counts.Cl100k : ref counts.O200k, count);
        return count;
    }

    private static int CountSchema(TiktokenEncoding tokenizer, JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return schema.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? 0 : tokenizer.CountTokens(schema.GetRawText());
        }

        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            return CountProperties(tokenizer, properties, 0);
        }

        // No properties: keywords that render nothing leave the function bare; anything else (anyOf, $ref...) counts as JSON.
        foreach (var keyword in schema.EnumerateObject())
        {
            if (keyword.Name is not ("type" or "required" or "additionalProperties" or "$schema" or "title" or "description" or "properties"))
            {
                return tokenizer.CountTokens(schema.GetRawText());
            }
        }

        return 0;
    }

    private static int CountProperties(TiktokenEncoding tokenizer, JsonElement properties, int depth)
    {
        var count = 0;
        foreach (var property in properties.EnumerateObject())
        {
            if (count == 0)
            {
                count = PropertiesTokens;
            }

            count += CountProperty(tokenizer, property.Name, property.Value, depth);
        }

        return count;
    }

    private static int CountProperty(TiktokenEncoding tokenizer, string name, JsonElement schema, int depth)
    {
        var count = PropertyTokens;
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("type", out var type))
        {
            // Outside the published method: the property's whole JSON stands in for its type and description.
            return count + CountLine(tokenizer, name, null, schema.GetRawText());
        }

        if (schema.TryGetProperty("enum", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            count += EnumTokens;
            foreach (var item in items.EnumerateArray())
            {
                count += EnumItemTokens + (item.ValueKind == JsonValueKind.String
                    ? CountText(tokenizer, item.GetString())
                    : tokenizer.CountTokens(item.GetRawText()));
            }
        }

        var description = schema.TryGetProperty("description", out var text) && text.ValueKind == JsonValueKind.String
            ? WithoutFinalPeriod(text.GetString())
            : null;
        count += CountLine(tokenizer, name, TypeText(type), description);

        if (depth < MaxSchemaDepth)
        {
            if (schema.TryGetProperty("properties", out var nested) && nested.ValueKind == JsonValueKind.Object)
            {
                count += CountProperties(tokenizer, nested, depth + 1);
            }
            else if (schema.TryGetProperty("items", out var element) && element.ValueKind == JsonValueKind.Object
                && element.TryGetProperty("properties", out nested) && nested.ValueKind == JsonValueKind.Object)
            {
                count += CountProperties(tokenizer, nested, depth + 1);
            }
        }

        return count;
    }

    private static string TypeText(JsonElement type)
    {
        if (type.ValueKind == JsonValueKind.String)
        {
            return type.GetString() ?? string.Empty;
        }

        if (type.ValueKind != JsonValueKind.Array)
        {
            return type.GetRawText();
        }

        var names = new List<string>(type.GetArrayLength());
        foreach (var item in type.EnumerateArray())
        {
            names.Add(item.ValueKind == JsonValueKind.String ? item.GetString() ?? string.Empty : item.GetRawText());
        }

        return string.Join(" | ", names);
    }

    // "name:tail" when middle is null, "name:middle" when tail is null, otherwise "name:middle:tail".
    private static int CountLine(TiktokenEncoding tokenizer, string name, string? middle, string? tail)
    {
        var line = middle is null ? string.Concat(name, ":", tail)
            : tail is null ? string.Concat(name, ":", middle)
            : string.Concat(name, ":", middle, ":", tail);
        return tokenizer.CountTokens(line);
    }

    private static int CountText(TiktokenEncoding tokenizer, string? text) => string.IsNullOrEmpty(text) ? 0 : tokenizer.CountTokens(text);

    private static string WithoutFinalPeriod(string? text) =>
        string.IsNullOrEmpty(text) ? string.Empty : text[^1] == '.' ? text[..^1] : text;

    private static int CountImage(AIContent content, ReadOnlySpan<byte> data)
    {
        if (content.AdditionalProperties?.TryGetValue("detail", out var detail) == true
            && string.Equals(detail?.ToString(), "low", StringComparison.OrdinalIgnoreCase))
        {
            return ImageBaseTokens;
        }

        return ImageHeader.TryReadSize(data, out var width, out var height) ? HighDetailImageTokens(width, height) : TokensPerImage;
    }

    /// <summary>OpenAI's high-detail image cost: fit within 2048×2048, shorter side down to 768, then 85 + 170 per 512-pixel tile.</summary>
    internal static int HighDetailImageTokens(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        // Integer pixels, as a resized image has: fit the longer side, then shorten the shorter side (never enlarge).
        long w = width, h = height;
        if (Math.Max(w, h) > ImageFitSide)
        {
            (w, h) = w >= h ? (ImageFitSide, Math.Max(1, h * ImageFitSide / w)) : (Math.Max(1, w * ImageFitSide / h), ImageFitSide);
        }

        if (Math.Min(w, h) > ImageShortSide)
        {
            (w, h) = w <= h ? (ImageShortSide, h * ImageShortSide / w) : (w * ImageShortSide / h, ImageShortSide);
        }

        var tiles = ((w + ImageTileSide - 1) / ImageTileSide) * ((h + ImageTileSide - 1) / ImageTileSide);
        return (int)Math.Min(int.MaxValue, ImageBaseTokens + (ImageTileTokens * Math.Max(1, tiles)));
    }

    private sealed class ToolCounts
    {
        public const int NotCounted = int.MinValue;

        public int O200k = NotCounted;
        public int Cl100k = NotCounted;
    }

    /// <summary>
    /// A tiktoken encoding with a fast path for ASCII text: pieces are split by a scanner equivalent to the encoding's
    /// pre-tokenization pattern on ASCII (checked against the library's pattern by a differential test), and each piece is
    /// counted by the library's byte-pair encoder, remembered per piece. Other text, and text that may hold special tokens
    /// (<c>&lt;|</c>), takes the library's own path.
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
                var end = NextPiece(text, start, O200k);
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

        /// <summary>The end of the pre-tokenization piece that starts at <paramref name="start"/> in ASCII text.</summary>
        /// <remarks>
        /// o200k_base: <c>P?U*L+C?|P?U+L*C?|\p{N}{1,3}| ?O+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>; cl100k_base:
        /// <c>'(s|d|m|t|ll|ve|re)|P?\p{L}+|\p{N}{1,3}| ?O+[\r\n]*|\s+$|\s*[\r\n]|\s+(?!\S)|\s+</c>, where P is a character
        /// other than CR, LF, a letter or a digit, O one other than white space, a letter or a digit, U upper case, L lower
        /// case, C a contraction ('s, 't, 're, 've, 'm, 'll, 'd, any case). In ASCII the upper and lower case classes do not
        /// overlap, so no backtracking is needed.
        /// </remarks>
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
                if (o200k)
                {
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

                while (position < length && IsLetter(text[position]))
                {
                    position++;
                }

                return position;
            }

            if (char.IsAsciiDigit(text[start]))
            {
                position = start + 1;
                while (position < length && position < start + 3 && char.IsAsciiDigit(text[position]))
                {
                    position++;
                }

                return position;
            }

            // Punctuation and symbols, after an optional space, then line breaks (and slashes for o200k).
            position = start;
            if (text[position] == ' ' && position + 1 < length && IsOther(text[position + 1]))
            {
                position++;
            }

            if (IsOther(text[position]))
            {
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

            // White space: to the end of the text (cl100k); through its last line break; else all but the last character
            // before a non-space (that one starts the next piece); else a single character.
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

    /// <summary>Reads an image's pixel size from the header of its bytes (PNG, GIF, JPEG, WebP) without decoding it.</summary>
    internal static class ImageHeader
    {
        public static bool TryReadSize(ReadOnlySpan<byte> data, out int width, out int height)
        {
            width = height = 0;
            if (data.Length >= 24 && data[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])
                && data.Slice(12, 4).SequenceEqual("IHDR"u8))
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data[16..]);
                height = BinaryPrimitives.ReadInt32BigEndian(data[20..]);
            }
            else if (data.Length >= 10 && (data[..6].SequenceEqual("GIF87a"u8) || data[..6].SequenceEqual("GIF89a"u8)))
            {
                width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
                height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
            }
            else if (data.Length >= 4 && data[0] == 0xFF && data[1] == 0xD8)
            {
                ReadJpeg(data, out width, out height);
            }
            else if (data.Length >= 30 && data[..4].SequenceEqual("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
            {
                ReadWebP(data, out width, out height);
            }

            return width > 0 && height > 0;
        }

        private static void ReadJpeg(ReadOnlySpan<byte> data, out int width, out int height)
        {
            width = height = 0;
            var position = 2;
            while (position + 9 < data.Length)
            {
                if (data[position] != 0xFF)
                {
                    return;
                }

                var marker = data[position + 1];
                if (marker == 0xFF)
                {
                    position++; // fill byte
                    continue;
                }

                if (marker is (>= 0xD0 and <= 0xD7) or 0x01)
                {
                    position += 2; // markers without a length
                    continue;
                }

                // Start of frame (SOF0–SOF15 except DHT, JPG and DAC): length, precision, height, width.
                if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                {
                    height = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 5)..]);
                    width = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 7)..]);
                    return;
                }

                if (marker is 0xD9 or 0xDA)
                {
                    return; // end of image, or scan data before any frame header
                }

                position += 2 + BinaryPrimitives.ReadUInt16BigEndian(data[(position + 2)..]);
            }
        }

        private static void ReadWebP(ReadOnlySpan<byte> data, out int width, out int height)
        {
            width = height = 0;
            var chunk = data.Slice(12, 4);
            if (chunk.SequenceEqual("VP8 "u8))
            {
                width = BinaryPrimitives.ReadUInt16LittleEndian(data[26..]) & 0x3FFF;
                height = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) & 0x3FFF;
            }
            else if (chunk.SequenceEqual("VP8L"u8) && data[20] == 0x2F)
            {
                var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[21..]);
                width = (int)(bits & 0x3FFF) + 1;
                height = (int)((bits >> 14) & 0x3FFF) + 1;
            }
            else if (chunk.SequenceEqual("VP8X"u8))
            {
                width = (data[24] | (data[25] << 8) | (data[26] << 16)) + 1;
                height = (data[27] | (data[28] << 8) | (data[29] << 16)) + 1;
            }
        }
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
