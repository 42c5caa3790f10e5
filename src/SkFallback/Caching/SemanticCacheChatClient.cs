using System.Diagnostics;
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
    private readonly ISemanticCacheStore _store;
    private readonly bool _ownsStore;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _generator;
    private readonly SemanticCacheOptions _options;
    private readonly Judging.OutcomeJudge _judge;
    private readonly ILogger _logger;
    private readonly CacheStoreHealth _storeHealth;
    private readonly CacheHitResponder _hits;
    private readonly TimeProvider _timeProvider;
    private readonly PriceCatalog _prices;
    private readonly TimeSpan _sweepInterval;
    private readonly ActivitySource _activities = new(Diagnostics.FallbackTelemetry.SourceName, Diagnostics.FallbackTelemetry.Version);
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
        _storeHealth = new CacheStoreHealth(_logger);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _prices = prices ?? PriceCatalog.Default;
        _hits = new CacheHitResponder(_logger, _prices);
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

        var hit = await LookUpAsync(lookup, cancellationToken).ConfigureAwait(false);
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

        var hit = await LookUpAsync(lookup, cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            foreach (var update in CachedAnswerReplay.Updates(hit))
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

        if (disposing)
        {
            _activities.Dispose();
        }

        base.Dispose(disposing);
    }

    private CacheLookup? Plan(IList<ChatMessage> messages, ChatOptions? options)
    {
        var properties = options?.AdditionalProperties;
        if (CacheRequestSwitches.IsOn(properties, CacheMetadataKeys.Bypass))
        {
            CacheTelemetry.RecordBypass("opted_out");
            return null;
        }

        var deterministic = options?.Temperature == 0f || CacheRequestSwitches.IsOn(properties, CacheMetadataKeys.Deterministic);
        if (!deterministic && !_options.CacheNonDeterministic)
        {
            CacheTelemetry.RecordBypass("not_deterministic");
            return null;
        }

        var tenant = CacheRequestSwitches.Tenant(properties);
        var minTier = CacheRequestSwitches.MinQualityTier(properties) ?? _options.MinQualityTier;
        var key = CacheRequestKey.Create(messages, options, _options.Namespace, tenant);
        if (key is null)
        {
            CacheTelemetry.RecordBypass("unkeyable_request");
            return null;
        }

        var semantic = _options.SemanticEnabled && _generator is not null && !string.IsNullOrWhiteSpace(key.Prompt)
            && (deterministic || _options.SemanticForNonDeterministic);
        return new CacheLookup(key, tenant, semantic, minTier);
    }

    /// <summary>The lookup, traced as <c>skfallback.cache.lookup</c> (a sibling of the chain's call on a miss: it ends first).</summary>
    private async Task<ChatResponse?> LookUpAsync(CacheLookup lookup, CancellationToken cancellationToken)
    {
        using var activity = _activities.HasListeners() ? _activities.StartActivity(Diagnostics.FallbackTelemetry.CacheLookupActivityName) : null;
        var hit = await FindAsync(lookup, cancellationToken).ConfigureAwait(false);
        if (activity is not null)
        {
            activity.SetTag(Diagnostics.FallbackTelemetry.CacheHitTag, hit is not null);
            if (hit?.AdditionalProperties?.TryGetValue(CacheMetadataKeys.Hit, out var layer) == true)
            {
                activity.SetTag(Diagnostics.FallbackTelemetry.CacheLayerTag, layer);
            }
        }

        return hit;
    }

    private async Task<ChatResponse?> FindAsync(CacheLookup lookup, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        try
        {
            var entry = await _store.GetAsync(lookup.Key.ExactKey, now, cancellationToken).ConfigureAwait(false);
            if (entry is not null && TierAllows(entry, lookup.MinTier) && _hits.Serve(entry, CacheMetadataKeys.ExactHit, null) is { } exact)
            {
                return exact;
            }

            if (!lookup.Semantic)
            {
                CacheTelemetry.RecordMiss();
                return null;
            }

            if (await FindSimilarAsync(lookup, now, cancellationToken).ConfigureAwait(false) is { } similar)
            {
                return similar;
            }
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            lookup.Failed = true;
            CacheTelemetry.RecordBypass("store_error");
            _storeHealth.Failed("look the request up", e);
            return null;
        }

        _storeHealth.Answered();
        CacheTelemetry.RecordMiss();
        return null;
    }

    /// <summary>Embeds the prompt (kept on the lookup for the store) and serves the most similar match the guard lets through.</summary>
    private async Task<ChatResponse?> FindSimilarAsync(CacheLookup lookup, DateTimeOffset now, CancellationToken cancellationToken)
    {
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

            if (_hits.Serve(match.Entry, CacheMetadataKeys.SemanticHit, match.Similarity) is { } similar)
            {
                return similar;
            }
        }

        return null;
    }

    private async Task StoreAsync(CacheLookup lookup, ChatResponse response, CancellationToken cancellationToken)
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

        if (EntryFor(lookup, response) is not { } entry)
        {
            return;
        }

        var now = entry.CreatedAt;
        try
        {
            await _store.UpsertAsync(entry, cancellationToken).ConfigureAwait(false);
            var due = Interlocked.Read(ref _nextSweepTicks);
            if (now.UtcTicks >= due && Interlocked.CompareExchange(ref _nextSweepTicks, (now + _sweepInterval).UtcTicks, due) == due)
            {
                await _store.RemoveExpiredAsync(now, cancellationToken).ConfigureAwait(false);
            }

            _storeHealth.Answered();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The caller already has its answer; a store that cannot take it only costs a later hit.
            _storeHealth.Failed("store the answer", e);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The entry that keeps an answer, stamped now; <see langword="null"/> (logged) when the answer does not serialize.</summary>
    private SemanticCacheEntry? EntryFor(CacheLookup lookup, ChatResponse response)
    {
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
            return null;
        }

        var now = _timeProvider.GetUtcNow();
        return new SemanticCacheEntry
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
    }

    private string? WhyNotCacheable(ChatResponse response) =>
        _judge.WhyNotReplayable(response, _options.CacheToolCalls, _options.CacheRefusals, _options.CacheTruncated);

    private static bool TierAllows(SemanticCacheEntry entry, int? minTier) => minTier is not int tier || (entry.QualityTier ?? 0) >= tier;
}
