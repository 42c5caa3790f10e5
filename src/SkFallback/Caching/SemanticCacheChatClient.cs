using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkFallback.Cost;

namespace SkFallback.Caching;

/// <summary>
/// A response cache placed above a fallback chain, shared by every provider of it: an answer one provider produced
/// serves a later request that would have been routed to another, at no provider call and no breaker traffic.
/// </summary>
/// <remarks>
/// <para>
/// The exact layer looks a request up by a hash of its canonical form (system prompt and instructions, the whole
/// history, tools and their schemas, tool choice, response format, sampling parameters, tenant), never by provider or
/// model. The semantic layer then embeds the last user turn and searches the entries of the same partition (everything
/// in the request but that turn) and tenant for one at least <see cref="SemanticCacheOptions.SimilarityThreshold"/>
/// similar; a guard rejects near matches whose numbers, quoted strings, named entities or negations differ.
/// </para>
/// <para>
/// Only deterministic requests (temperature 0, or <see cref="CacheMetadataKeys.Deterministic"/>) use the cache unless
/// options say otherwise. Refusals, errors, truncated answers and tool-call answers are not cached unless opted in. A
/// hit carries <see cref="CacheMetadataKeys.Hit"/> and the provider and model that first produced it; a streaming caller
/// receives it as a stream of updates. A store or embedding failure bypasses the cache for the call with a logged warning.
/// </para>
/// </remarks>
public sealed class SemanticCacheChatClient : DelegatingChatClient
{
    private static readonly IReadOnlyList<FallbackAttempt> NoAttempts = [];

    private readonly ISemanticCacheStore _store;
    private readonly bool _ownsStore;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _generator;
    private readonly SemanticCacheOptions _options;
    private readonly Judging.OutcomeJudge _judge;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly PriceCatalog _prices;
    private readonly TimeSpan _sweepInterval;
    private long _nextSweepTicks;

    /// <summary>Initializes a new instance of the <see cref="SemanticCacheChatClient"/> class.</summary>
    /// <param name="innerClient">The client below, typically a <see cref="FallbackChatClient"/>.</param>
    /// <param name="options">The cache options (validated here; an invalid value throws naming its key); defaults when <see langword="null"/>.</param>
    /// <param name="store">Where entries are kept; an <see cref="InMemorySemanticCacheStore"/> of <see cref="SemanticCacheOptions.MaxEntries"/> when <see langword="null"/>.</param>
    /// <param name="embeddingGenerator">Embeds the last user turn for the semantic layer; without one only the exact layer works.</param>
    /// <param name="loggerFactory">The logger factory; none by default.</param>
    /// <param name="timeProvider">The clock for entry times and expiry; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="prices">Prices the saved cost of hits and gives models their quality tier; <see cref="PriceCatalog.Default"/> by default.</param>
    public SemanticCacheChatClient(
        IChatClient innerClient,
        SemanticCacheOptions? options = null,
        ISemanticCacheStore? store = null,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        PriceCatalog? prices = null)
        : base(innerClient)
    {
        _options = options ?? new SemanticCacheOptions();
        SemanticCacheOptionsValidator.ThrowIfInvalid(_options);
        _ownsStore = store is null;
        _store = store ?? new InMemorySemanticCacheStore(_options.MaxEntries);
        _generator = embeddingGenerator;
        _judge = new Judging.OutcomeJudge((IEnumerable<string>?)_options.RefusalPhrases ?? FallbackOptions.DefaultRefusalPhrases);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SemanticCacheChatClient>();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _prices = prices ?? PriceCatalog.Default;
        _sweepInterval = _options.TimeToLive < TimeSpan.FromMinutes(5) ? _options.TimeToLive : TimeSpan.FromMinutes(5);
        _nextSweepTicks = (_timeProvider.GetUtcNow() + _sweepInterval).UtcTicks;
    }

    /// <summary>Gets the store the cache keeps its entries in.</summary>
    public ISemanticCacheStore Store => _store;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var lookup = Plan(list, options);
        if (lookup is null)
        {
            return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        }

        var hit = await FindAsync(lookup, cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            return hit;
        }

        var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        await StoreAsync(lookup, response, cancellationToken).ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var lookup = Plan(list, options);
        if (lookup is null)
        {
            await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        var hit = await FindAsync(lookup, cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            foreach (var update in Replay(hit))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return update;
            }

            yield break;
        }

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            yield return update;
        }

        await StoreAsync(lookup, updates.ToChatResponse(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(ISemanticCacheStore) ? _store : base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsStore && _store is IDisposable disposable)
        {
            disposable.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Splits a cached answer into updates the way a provider streams: role and metadata first, text in small pieces, finish reason and metadata last.</summary>
    internal static IEnumerable<ChatResponseUpdate> Replay(ChatResponse response)
    {
        var first = true;
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is TextContent text)
                {
                    foreach (var piece in Pieces(text.Text))
                    {
                        yield return Update(response, message, new TextContent(piece), ref first);
                    }
                }
                else
                {
                    yield return Update(response, message, content, ref first);
                }
            }
        }

        yield return new ChatResponseUpdate
        {
            FinishReason = response.FinishReason,
            ResponseId = response.ResponseId,
            ModelId = response.ModelId,
            CreatedAt = response.CreatedAt,
            AdditionalProperties = response.AdditionalProperties is { } properties ? new(properties) : null,
        };
    }

    private static ChatResponseUpdate Update(ChatResponse response, ChatMessage message, AIContent content, ref bool first)
    {
        var update = new ChatResponseUpdate(message.Role, [content])
        {
            MessageId = message.MessageId,
            ResponseId = response.ResponseId,
            ModelId = response.ModelId,
            CreatedAt = response.CreatedAt,
            AuthorName = message.AuthorName,
        };
        if (first && response.AdditionalProperties is { } properties)
        {
            update.AdditionalProperties = new(properties);
        }

        first = false;
        return update;
    }

    /// <summary>Pieces of about four words, each ending after whitespace, that concatenate to the text.</summary>
    private static IEnumerable<string> Pieces(string text)
    {
        const int target = 20;
        var start = 0;
        while (start < text.Length)
        {
            var end = Math.Min(start + target, text.Length);
            while (end < text.Length && !char.IsWhiteSpace(text[end - 1]))
            {
                end++;
            }

            yield return text[start..end];
            start = end;
        }
    }

    private Lookup? Plan(IList<ChatMessage> messages, ChatOptions? options)
    {
        var properties = options?.AdditionalProperties;
        if (Flag(properties, CacheMetadataKeys.Bypass))
        {
            CacheTelemetry.RecordBypass("opted_out");
            return null;
        }

        var deterministic = options?.Temperature == 0f || Flag(properties, CacheMetadataKeys.Deterministic);
        if (!deterministic && !_options.CacheNonDeterministic)
        {
            CacheTelemetry.RecordBypass("not_deterministic");
            return null;
        }

        var tenant = properties is not null && properties.TryGetValue(CacheMetadataKeys.Tenant, out var t) && t is not null
            ? Convert.ToString(t is JsonElement { ValueKind: JsonValueKind.String } e ? e.GetString() : t, CultureInfo.InvariantCulture) ?? string.Empty
            : string.Empty;
        var minTier = Tier(properties) ?? _options.MinQualityTier;
        var key = CacheRequestKey.Create(messages, options, _options.Namespace, tenant);
        if (key is null)
        {
            CacheTelemetry.RecordBypass("unkeyable_request");
            return null;
        }

        var semantic = _options.SemanticEnabled && _generator is not null && !string.IsNullOrWhiteSpace(key.Prompt)
            && (deterministic || _options.SemanticForNonDeterministic);
        return new Lookup(key, tenant, semantic, minTier);
    }

    private async Task<ChatResponse?> FindAsync(Lookup lookup, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        try
        {
            var entry = await _store.GetAsync(lookup.Key.ExactKey, now, cancellationToken).ConfigureAwait(false);
            if (entry is not null && TierAllows(entry, lookup.MinTier) && Serve(entry, CacheMetadataKeys.ExactHit, null) is { } exact)
            {
                return exact;
            }

            if (!lookup.Semantic)
            {
                CacheTelemetry.RecordMiss();
                return null;
            }

            var prompt = lookup.Key.Prompt!;
            var embeddings = await _generator!.GenerateAsync([prompt], cancellationToken: cancellationToken).ConfigureAwait(false);
            lookup.Vector = embeddings[0].Vector;
            var matches = await _store.SearchAsync(
                new SemanticCacheQuery
                {
                    Namespace = _options.Namespace,
                    Tenant = lookup.Tenant,
                    Partition = lookup.Key.Partition,
                    Vector = lookup.Vector,
                    MinSimilarity = _options.SimilarityThreshold,
                    MaxResults = _options.MaxCandidates,
                    Now = now,
                    MinQualityTier = lookup.MinTier,
                },
                cancellationToken).ConfigureAwait(false);
            foreach (var match in matches)
            {
                if (match.Entry.Prompt is not { } cachedPrompt)
                {
                    continue;
                }

                if (_options.Guard && SimilarityGuard.Check(prompt, cachedPrompt) is var rejection && rejection != SimilarityGuard.Rejection.None)
                {
                    CacheTelemetry.RecordRejection(rejection);
                    CacheLog.GuardRejected(_logger, match.Similarity, rejection);
                    continue;
                }

                if (Serve(match.Entry, CacheMetadataKeys.SemanticHit, match.Similarity) is { } similar)
                {
                    return similar;
                }
            }
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            lookup.Failed = true;
            CacheTelemetry.RecordBypass("store_error");
            StoreFailed("look the request up", e);
            return null;
        }

        StoreAnswered();
        CacheTelemetry.RecordMiss();
        return null;
    }

    /// <summary>Logs a store failure: a warning for the first of an outage, then at debug level until the store answers again.</summary>
    private void StoreFailed(string operation, Exception e)
    {
        if (Interlocked.Exchange(ref _storeDown, 1) == 0)
        {
            CacheLog.StoreFailed(_logger, operation, e.GetType().Name, e.Message);
        }
        else
        {
            CacheLog.StoreStillFailing(_logger, operation, e.GetType().Name, e.Message);
        }
    }

    private void StoreAnswered()
    {
        if (Volatile.Read(ref _storeDown) == 1 && Interlocked.Exchange(ref _storeDown, 0) == 1)
        {
            CacheLog.StoreRecovered(_logger);
        }
    }

    private int _storeDown;

    private ChatResponse? Serve(SemanticCacheEntry entry, string layer, float? similarity)
    {
        ChatResponse response;
        try
        {
            response = CachedAnswer.Deserialize(entry.Response);
        }
        catch (JsonException e)
        {
            CacheLog.StoreFailed(_logger, "read a cached answer", e.GetType().Name, e.Message);
            return null;
        }

        var saved = Saved(entry.Model, response.Usage);
        var properties = response.AdditionalProperties ??= [];
        properties[FallbackMetadataKeys.Provider] = entry.Provider;
        properties[FallbackMetadataKeys.Model] = entry.Model;
        properties[FallbackMetadataKeys.Attempts] = NoAttempts;
        properties[CacheMetadataKeys.Hit] = layer;
        properties[CacheMetadataKeys.CachedAt] = entry.CreatedAt;
        if (similarity is float s)
        {
            properties[CacheMetadataKeys.Similarity] = s;
        }

        if (saved is decimal usd)
        {
            properties[CacheMetadataKeys.SavedCostUsd] = usd;
        }

        // No tokens were spent on this answer; what the first call spent is in the saved cost.
        response.Usage = null;
        CacheTelemetry.RecordHit(layer, entry.Provider, entry.Model, saved);
        CacheLog.Hit(_logger, layer, entry.Provider, entry.Model, entry.CreatedAt);
        return response;
    }

    private decimal? Saved(string? model, UsageDetails? usage)
    {
        if (model is null || usage?.InputTokenCount is not long input || usage.OutputTokenCount is not long output || input < 0 || output < 0)
        {
            return null;
        }

        var cached = Math.Clamp(usage.CachedInputTokenCount ?? 0, 0, input);
        return _prices.Estimate(model, input, output, cached)?.TotalUsd;
    }

    private async Task StoreAsync(Lookup lookup, ChatResponse response, CancellationToken cancellationToken)
    {
        if (lookup.Failed)
        {
            return;
        }

        if (WhyNotCacheable(response) is { } reason)
        {
            CacheLog.NotCached(_logger, reason);
            return;
        }

        var properties = response.AdditionalProperties;
        var provider = properties?.TryGetValue(FallbackMetadataKeys.Provider, out var p) == true ? p as string : null;
        var model = (properties?.TryGetValue(FallbackMetadataKeys.Model, out var m) == true ? m as string : null) ?? response.ModelId;
        int? tier = model is not null && _prices.TryGet(model, out var price) ? price.QualityTier : null;
        string json;
        try
        {
            json = CachedAnswer.Serialize(response, provider, model);
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException)
        {
            CacheLog.NotCached(_logger, "the answer does not serialize: " + e.Message);
            return;
        }

        var now = _timeProvider.GetUtcNow();
        var entry = new SemanticCacheEntry
        {
            Key = lookup.Key.ExactKey,
            Namespace = _options.Namespace,
            Tenant = lookup.Tenant,
            Partition = lookup.Key.Partition,
            Prompt = lookup.Key.Prompt,
            Vector = lookup.Vector,
            Response = json,
            CreatedAt = now,
            ExpiresAt = now + _options.TimeToLive,
            Provider = provider,
            Model = model,
            QualityTier = tier,
        };
        try
        {
            await _store.UpsertAsync(entry, cancellationToken).ConfigureAwait(false);
            var due = Interlocked.Read(ref _nextSweepTicks);
            if (now.UtcTicks >= due && Interlocked.CompareExchange(ref _nextSweepTicks, (now + _sweepInterval).UtcTicks, due) == due)
            {
                await _store.RemoveExpiredAsync(now, cancellationToken).ConfigureAwait(false);
            }

            StoreAnswered();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The caller already has its answer; a store that cannot take it only costs a later hit.
            StoreFailed("store the answer", e);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string? WhyNotCacheable(ChatResponse response) =>
        _judge.WhyNotReplayable(response, _options.CacheToolCalls, _options.CacheRefusals, _options.CacheTruncated);

    private static bool TierAllows(SemanticCacheEntry entry, int? minTier) => minTier is not int tier || (entry.QualityTier ?? 0) >= tier;

    private static bool Flag(AdditionalPropertiesDictionary? properties, string key) =>
        properties is not null && properties.TryGetValue(key, out var value) && value switch
        {
            bool b => b,
            string s => bool.TryParse(s, out var parsed) && parsed,
            JsonElement { ValueKind: JsonValueKind.True } => true,
            _ => false,
        };

    private static int? Tier(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null || !properties.TryGetValue(CacheMetadataKeys.MinQualityTier, out var value) || value is null)
        {
            return null;
        }

        int? tier = value switch
        {
            int i => i,
            long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
            string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt32(out var n) => n,
            _ => null,
        };
        if (tier is not (>= 1 and <= 5))
        {
            throw new ArgumentException(
                $"ChatOptions.AdditionalProperties[\"{CacheMetadataKeys.MinQualityTier}\"] must be a whole number between 1 and 5 (was {value}).");
        }

        return tier;
    }

    /// <summary>What one call looks up and, on a miss, stores.</summary>
    private sealed class Lookup(CacheRequestKey key, string tenant, bool semantic, int? minTier)
    {
        public CacheRequestKey Key { get; } = key;

        public string Tenant { get; } = tenant;

        public bool Semantic { get; } = semantic;

        public int? MinTier { get; } = minTier;

        public ReadOnlyMemory<float> Vector { get; set; }

        public bool Failed { get; set; }
    }
}
