using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Cost;

namespace SkFallback.Routing;

/// <summary>
/// One request as a routing policy sees it: its metadata (tenant, user tier, region, task), its bounds (cost,
/// latency, quality, capabilities) and, per candidate, its estimated prompt tokens, output tokens and cost.
/// </summary>
/// <remarks>
/// Metadata and bounds are read from <see cref="ChatOptions.AdditionalProperties"/> under the request keys of
/// <see cref="FallbackMetadataKeys"/> (in Semantic Kernel, <c>PromptExecutionSettings.ExtensionData</c> arrives there),
/// falling back to the chain's configured defaults. Estimates are computed on first use and kept for the call: the
/// tokenizer runs at most once per encoding.
/// </remarks>
public sealed class RoutingRequest
{
    private static readonly int FamilyCount = Enum.GetValues<TokenizerFamily>().Length;

    private readonly TokenEstimator _estimator;
    private readonly int[] _rawByFamily;
    private int[] _promptTokens;
    private Exclusion[]? _excluded;

    /// <summary>Initializes a new instance of the <see cref="RoutingRequest"/> class.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options, or <see langword="null"/>.</param>
    /// <param name="estimator">The token estimator; a new one by default.</param>
    /// <param name="defaults">Bounds that apply when the request does not set its own; none by default.</param>
    public RoutingRequest(IEnumerable<ChatMessage> messages, ChatOptions? options = null, TokenEstimator? estimator = null, RoutingOptions? defaults = null)
        : this(messages, options, estimator ?? new TokenEstimator(), defaults, candidateCount: 16)
    {
    }

    internal RoutingRequest(IEnumerable<ChatMessage> messages, ChatOptions? options, TokenEstimator estimator, RoutingOptions? defaults, int candidateCount)
    {
        ArgumentNullException.ThrowIfNull(messages);
        Messages = messages;
        Options = options;
        _estimator = estimator;
        _rawByFamily = new int[FamilyCount];
        Array.Fill(_rawByFamily, -1);
        _promptTokens = new int[Math.Max(1, candidateCount)];
        MaxLatency = defaults?.MaxLatency;
        MinQualityTier = defaults?.MinQualityTier;

        if (options?.AdditionalProperties is { Count: > 0 } properties)
        {
            Tenant = Text(properties, FallbackMetadataKeys.Tenant);
            UserTier = Text(properties, FallbackMetadataKeys.UserTier);
            Region = Text(properties, FallbackMetadataKeys.Region);
            Task = Text(properties, FallbackMetadataKeys.Task);
            MaxCostUsd = ReadDecimal(properties, FallbackMetadataKeys.MaxCostUsd);
            if (properties.TryGetValue(FallbackMetadataKeys.MaxLatency, out var latency) && ReadLatency(latency) is { } bound)
            {
                MaxLatency = bound;
            }

            if (ReadDecimal(properties, FallbackMetadataKeys.MinQualityTier) is { } tier)
            {
                MinQualityTier = (int)tier;
            }
        }

        RequiredCapabilities = CapabilitiesOf(messages, options);
    }

    /// <summary>Gets the request's messages.</summary>
    public IEnumerable<ChatMessage> Messages { get; }

    /// <summary>Gets the request's options.</summary>
    public ChatOptions? Options { get; }

    /// <summary>Gets the tenant the call is made for (<see cref="FallbackMetadataKeys.Tenant"/>).</summary>
    public string? Tenant { get; }

    /// <summary>Gets the caller's user tier (<see cref="FallbackMetadataKeys.UserTier"/>).</summary>
    public string? UserTier { get; }

    /// <summary>Gets the caller's region (<see cref="FallbackMetadataKeys.Region"/>).</summary>
    public string? Region { get; }

    /// <summary>Gets the task tag (<see cref="FallbackMetadataKeys.Task"/>).</summary>
    public string? Task { get; }

    /// <summary>Gets the most the call may still spend, in US dollars: the per-call budget, the turn budget's remainder, or the tighter of both; <see langword="null"/> when unbounded.</summary>
    public decimal? MaxCostUsd { get; internal set; }

    /// <summary>Gets the p95 latency bound for <c>cheapest</c> routing, or <see langword="null"/> when unbounded.</summary>
    public TimeSpan? MaxLatency { get; }

    /// <summary>Gets the lowest acceptable quality tier for <c>cheapest</c> routing, or <see langword="null"/> when unbounded.</summary>
    public int? MinQualityTier { get; }

    /// <summary>Gets what the request needs from a model: tools when it offers tools, vision when it carries images, JSON when it asks for a JSON response.</summary>
    public ModelCapabilities RequiredCapabilities { get; }

    /// <summary>Estimates the request's prompt tokens as <paramref name="candidate"/>'s model would count them.</summary>
    /// <param name="candidate">The candidate.</param>
    /// <returns>The estimate, at least 1.</returns>
    public int PromptTokens(RoutingCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var index = candidate.Index;
        if (index >= _promptTokens.Length)
        {
            Array.Resize(ref _promptTokens, Math.Max(index + 1, _promptTokens.Length * 2));
        }

        var cached = _promptTokens[index];
        if (cached > 0)
        {
            return cached;
        }

        var family = candidate.Family;
        var raw = _rawByFamily[(int)family];
        if (raw < 0)
        {
            raw = _estimator.CountPromptTokens(family, Messages, Options);

            // Families sharing an encoding count the same raw tokens.
            for (var f = 0; f < _rawByFamily.Length; f++)
            {
                if (TokenEstimator.EncodingOf((TokenizerFamily)f) == TokenEstimator.EncodingOf(family) && _rawByFamily[f] < 0)
                {
                    _rawByFamily[f] = raw;
                }
            }
        }

        var correction = _estimator.CorrectionOf(candidate.Model);
        var tokens = correction == 1.0 ? Math.Max(1, raw) : Math.Max(1, (int)Math.Min(int.MaxValue, Math.Ceiling(raw * correction)));
        _promptTokens[index] = tokens;
        return tokens;
    }

    /// <summary>Estimates the output tokens: the request's <see cref="ChatOptions.MaxOutputTokens"/> when set, otherwise the model's learned average, never above the candidate's cap.</summary>
    /// <param name="candidate">The candidate.</param>
    /// <returns>The estimate.</returns>
    public int OutputTokens(RoutingCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var tokens = _estimator.EstimateOutputTokens(candidate.Model, Options);
        return candidate.MaxOutputTokens is int cap && cap < tokens ? cap : tokens;
    }

    /// <summary>Estimates what the call would cost on <paramref name="candidate"/>: estimated prompt tokens at the input price plus estimated output tokens at the output price.</summary>
    /// <param name="candidate">The candidate.</param>
    /// <returns>The estimate in US dollars, or <see langword="null"/> when the model has no catalog price.</returns>
    public decimal? EstimateCostUsd(RoutingCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (candidate.Price is not { } price)
        {
            return null;
        }

        return price.EstimateCost(PromptTokens(candidate), OutputTokens(candidate));
    }

    /// <summary>
    /// Estimates the most the call could cost on <paramref name="candidate"/>: the prompt estimate with a margin, plus the
    /// output allowance (<see cref="OutputAllowance"/>) times what the provider/model has been seen to bill past it.
    /// </summary>
    /// <param name="candidate">The candidate.</param>
    /// <param name="promptMargin">The factor the prompt estimate is multiplied by.</param>
    /// <returns>The bound in US dollars, or <see langword="null"/> when the model has no catalog price.</returns>
    internal decimal? UpperBoundUsd(RoutingCandidate candidate, double promptMargin)
    {
        if (candidate.Price is not { } price)
        {
            return null;
        }

        var prompt = (long)Math.Ceiling(PromptTokens(candidate) * promptMargin);
        var output = OutputAllowance(Options, price);
        var overbill = candidate.OutputBillFactor;
        if (overbill > 1.0)
        {
            output = (long)Math.Min(long.MaxValue / 2, Math.Ceiling(output * overbill));
        }

        return price.EstimateCost(prompt, output);
    }

    /// <summary>
    /// The output tokens a reservation covers before any learned over-billing: the request's cap, else the model's catalog
    /// maximum output, never above that maximum. A provider's configured <see cref="ProviderOptions.MaxOutputTokens"/> is
    /// not trusted: it is only a default some wires send, and a request's own cap replaces it.
    /// </summary>
    internal static long OutputAllowance(ChatOptions? options, ModelPrice price) =>
        options?.MaxOutputTokens is int asked and > 0 && asked < price.MaxOutputTokens ? asked : price.MaxOutputTokens;

    /// <summary>Records why a policy leaves a candidate out; the reason appears in the call's attempts.</summary>
    /// <param name="candidate">The candidate left out.</param>
    /// <param name="reason">Why, in a few words.</param>
    public void Exclude(RoutingCandidate candidate, string reason)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        Slot(candidate.Index) = new Exclusion(ExclusionKind.Text, reason, 0, 0);
    }

    /// <summary>Records a built-in reason without formatting it (it is formatted only if the attempts are read).</summary>
    internal void Exclude(RoutingCandidate candidate, ExclusionKind kind, long a, long b) =>
        Slot(candidate.Index) = new Exclusion(kind, null, a, b);

    /// <summary>The reason a policy gave for leaving the candidate at <paramref name="index"/> out, if any.</summary>
    internal string? ExclusionOf(int index)
    {
        if (_excluded is not { } excluded || index >= excluded.Length)
        {
            return null;
        }

        var e = excluded[index];
        return e.Kind switch
        {
            ExclusionKind.None => null,
            ExclusionKind.Text => e.Text,
            ExclusionKind.Capabilities => $"cannot take {(ModelCapabilities)e.A}",
            ExclusionKind.TierUnknown => $"quality tier unknown, {e.A} required",
            ExclusionKind.TierBelow => $"quality tier {e.A} below the {e.B} required",
            ExclusionKind.Latency => $"p95 latency {TimeSpan.FromTicks(e.A).TotalMilliseconds:0} ms above the {TimeSpan.FromTicks(e.B).TotalMilliseconds:0} ms bound",
            _ => e.Kind.ToString(),
        };
    }

    private ref Exclusion Slot(int index)
    {
        _excluded ??= new Exclusion[Math.Max(_promptTokens.Length, index + 1)];
        if (index >= _excluded.Length)
        {
            Array.Resize(ref _excluded, index + 1);
        }

        return ref _excluded[index];
    }

    /// <summary>The built-in reasons a candidate is left out.</summary>
    internal enum ExclusionKind : byte
    {
        None,
        Text,
        Capabilities,
        TierUnknown,
        TierBelow,
        Latency,
    }

    private readonly record struct Exclusion(ExclusionKind Kind, string? Text, long A, long B);

    internal static string? Text(AdditionalPropertiesDictionary properties, string key) =>
        properties.TryGetValue(key, out var value) ? value switch
        {
            null => null,
            string s => s.Length == 0 ? null : s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture),
        } : null;

    internal static decimal? ReadDecimal(AdditionalPropertiesDictionary properties, string key) =>
        properties.TryGetValue(key, out var value) ? ToDecimal(value, key) : null;

    internal static decimal? ToDecimal(object? value, string key) => value switch
    {
        null => null,
        decimal d => d,
        double d => (decimal)d,
        float f => (decimal)f,
        int i => i,
        long l => l,
        string s when decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDecimal(),
        JsonElement { ValueKind: JsonValueKind.String } e when decimal.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw new ArgumentException($"The request property '{key}' must be a number; got '{value}'.", nameof(value)),
    };

    private static TimeSpan? ReadLatency(object? value) => value switch
    {
        null => null,
        TimeSpan t => t,
        string s when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => ToDecimal(value, FallbackMetadataKeys.MaxLatency) is { } ms ? TimeSpan.FromMilliseconds((double)ms) : null,
    };

    private static ModelCapabilities CapabilitiesOf(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var needed = ModelCapabilities.None;
        if (options?.Tools is { Count: > 0 })
        {
            needed |= ModelCapabilities.Tools;
        }

        if (options?.ResponseFormat is ChatResponseFormatJson)
        {
            needed |= ModelCapabilities.Json;
        }

        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                if ((content is DataContent data && data.HasTopLevelMediaType("image"))
                    || (content is UriContent uri && uri.HasTopLevelMediaType("image")))
                {
                    return needed | ModelCapabilities.Vision;
                }
            }
        }

        return needed;
    }
}
