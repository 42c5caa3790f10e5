namespace SkFallback.Qdrant;

/// <summary>Configures <see cref="QdrantSemanticCacheStore"/>: where Qdrant is, how collections are named, and how the store behaves while Qdrant is away.</summary>
/// <remarks>
/// Bound from the configuration section <see cref="SectionName"/> (<c>SkFallback:Cache:Qdrant</c>) or set in code; validated at
/// startup, each message naming its key. Each cache namespace gets the collection <c>{CollectionPrefix}{namespace}</c>
/// (entries with a vector) and, once an entry without a vector is stored, <c>{CollectionPrefix}{namespace}.exact</c>.
/// </remarks>
public sealed class QdrantCacheOptions
{
    /// <summary>The configuration section the options bind from by default.</summary>
    public const string SectionName = "SkFallback:Cache:Qdrant";

    /// <summary>Gets or sets the address of Qdrant's gRPC API, for example <c>http://127.0.0.1:6334</c>.</summary>
    /// <value>
    /// Required. An absolute <c>http</c> or <c>https</c> URI with no user name, password, path or query. The gRPC port
    /// (6334 by default), not the REST port 6333.
    /// </value>
    public string? Endpoint { get; set; }

    /// <summary>Gets or sets the API key sent to Qdrant; never logged nor put in an exception.</summary>
    /// <value>Defaults to <see langword="null"/> (no key, as a local Qdrant needs). Use <c>https</c> when sending one.</value>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the start of every collection name the store creates or reads.</summary>
    /// <value>Defaults to <c>skfallback-cache-</c>. 1–64 letters, digits, '-' or '_'.</value>
    public string CollectionPrefix { get; set; } = "skfallback-cache-";

    /// <summary>Gets or sets the deadline of each call to Qdrant, connecting included.</summary>
    /// <value>Defaults to 2 s. Allowed range 50 ms–2 min. A cache lookup that takes longer is abandoned and the call goes to the providers.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets how long the store fails at once, without contacting Qdrant, after Qdrant was found unreachable.</summary>
    /// <value>
    /// Defaults to 5 s. Allowed range 0–10 min; 0 contacts Qdrant on every call. Keeps an outage from adding
    /// <see cref="Timeout"/> to every request.
    /// </value>
    public TimeSpan OutageBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long the list of this store's collections is reused before exact lookups list them again.</summary>
    /// <value>Defaults to 30 s. Allowed range 1 s–1 hour. A namespace another replica created is found by exact lookups after at most this long.</value>
    public TimeSpan CollectionRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets a value indicating whether similarity searches compare every vector of the partition instead of walking the HNSW graph.</summary>
    /// <value>Defaults to <see langword="false"/> (approximate search; Qdrant searches small filtered sets exactly anyway).</value>
    public bool ExactSearch { get; set; }

    /// <summary>Gets or sets how often the cleanup service (<see cref="QdrantCacheCleanupService"/>) removes expired entries.</summary>
    /// <value>Defaults to 10 minutes. Allowed range 0 or 1 s–1 day; 0 registers no cleanup service. Expired entries are never served either way.</value>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);
}
