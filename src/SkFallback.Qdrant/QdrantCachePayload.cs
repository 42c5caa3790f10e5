using System.Globalization;
using Google.Protobuf.Collections;
using Qdrant.Client.Grpc;
using SkFallback.Caching;

namespace SkFallback.Qdrant;

/// <summary>
/// How a <see cref="SemanticCacheEntry"/> is kept as a Qdrant point's payload: its fields, the payload indexes of each
/// kind of collection, and the filters reads use (expiry to the millisecond, rounded down).
/// </summary>
internal static class QdrantCachePayload
{
    internal const string KeyField = "key";
    internal const string NamespaceField = "namespace";
    internal const string TenantField = "tenant";
    internal const string PartitionField = "partition";
    internal const string PromptField = "prompt";
    internal const string ResponseField = "response";
    internal const string CreatedTicksField = "created_ticks";
    internal const string ExpiresTicksField = "expires_ticks";
    internal const string ExpiresAtField = "expires_at_ms";
    internal const string ProviderField = "provider";
    internal const string ModelField = "model";
    internal const string QualityTierField = "quality_tier";

    internal static readonly (string Field, PayloadSchemaType Type, bool IsTenant)[] VectorIndexes =
    [
        (TenantField, PayloadSchemaType.Keyword, true),
        (PartitionField, PayloadSchemaType.Keyword, false),
        (ExpiresAtField, PayloadSchemaType.Integer, false),
        (QualityTierField, PayloadSchemaType.Integer, false),
    ];

    internal static readonly (string Field, PayloadSchemaType Type, bool IsTenant)[] ExactIndexes =
    [
        (ExpiresAtField, PayloadSchemaType.Integer, false),
    ];

    /// <summary>Milliseconds since the Unix epoch, rounded down: expiry is compared at this precision on both sides.</summary>
    public static long UnixMilliseconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>Keyword payloads get a one-letter prefix so the empty tenant is an ordinary, indexable keyword.</summary>
    public static string EncodeTenant(string tenant) => "t:" + tenant;

    public static string EncodePartition(string partition) => "p:" + partition;

    public static void WritePayload(MapField<string, Value> payload, SemanticCacheEntry entry)
    {
        payload[KeyField] = entry.Key;
        payload[NamespaceField] = entry.Namespace;
        payload[TenantField] = EncodeTenant(entry.Tenant);
        payload[PartitionField] = EncodePartition(entry.Partition);
        payload[ResponseField] = entry.Response;
        payload[CreatedTicksField] = entry.CreatedAt.UtcTicks;
        payload[ExpiresTicksField] = entry.ExpiresAt.UtcTicks;
        payload[ExpiresAtField] = UnixMilliseconds(entry.ExpiresAt);
        if (entry.Prompt is not null)
        {
            payload[PromptField] = entry.Prompt;
        }

        if (entry.Provider is not null)
        {
            payload[ProviderField] = entry.Provider;
        }

        if (entry.Model is not null)
        {
            payload[ModelField] = entry.Model;
        }

        if (entry.QualityTier is int tier)
        {
            payload[QualityTierField] = tier;
        }
    }

    public static SemanticCacheEntry ReadEntry(MapField<string, Value> payload) => new()
    {
        Key = Text(payload, KeyField) ?? string.Empty,
        Namespace = Text(payload, NamespaceField) ?? string.Empty,
        Tenant = Decode(Text(payload, TenantField), "t:"),
        Partition = Decode(Text(payload, PartitionField), "p:"),
        Prompt = Text(payload, PromptField),
        Response = Text(payload, ResponseField) ?? string.Empty,
        CreatedAt = new DateTimeOffset(Integer(payload, CreatedTicksField), TimeSpan.Zero),
        ExpiresAt = new DateTimeOffset(Integer(payload, ExpiresTicksField), TimeSpan.Zero),
        Provider = Text(payload, ProviderField),
        Model = Text(payload, ModelField),
        QualityTier = payload.TryGetValue(QualityTierField, out var tier) && tier.KindCase == Value.KindOneofCase.IntegerValue
            ? (int)tier.IntegerValue
            : null,
    };

    private static string Decode(string? value, string prefix) =>
        value is not null && value.StartsWith(prefix, StringComparison.Ordinal) ? value[prefix.Length..] : value ?? string.Empty;

    public static string? Text(MapField<string, Value> payload, string field) =>
        payload.TryGetValue(field, out var value) && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : null;

    public static long Integer(MapField<string, Value> payload, string field) =>
        payload.TryGetValue(field, out var value) ? value.KindCase switch
        {
            Value.KindOneofCase.IntegerValue => value.IntegerValue,
            Value.KindOneofCase.DoubleValue => (long)value.DoubleValue,
            Value.KindOneofCase.StringValue when long.TryParse(value.StringValue, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => long.MinValue,
        }
        : long.MinValue;

    /// <summary>The filter of a search: the query's tenant and partition, not expired at its time, and at least its quality tier when it has one.</summary>
    public static Filter SearchFilter(SemanticCacheQuery query)
    {
        var filter = new Filter
        {
            Must =
            {
                Conditions.MatchKeyword(TenantField, EncodeTenant(query.Tenant)),
                Conditions.MatchKeyword(PartitionField, EncodePartition(query.Partition)),
                Conditions.Range(ExpiresAtField, new global::Qdrant.Client.Grpc.Range { Gt = UnixMilliseconds(query.Now) }),
            },
        };
        if (query.MinQualityTier is int tier)
        {
            filter.Must.Add(Conditions.Range(QualityTierField, new global::Qdrant.Client.Grpc.Range { Gte = tier }));
        }

        return filter;
    }

    /// <summary>The filter of the points expired at <paramref name="now"/> (to the millisecond).</summary>
    public static Filter ExpiredFilter(DateTimeOffset now) =>
        new() { Must = { Conditions.Range(ExpiresAtField, new global::Qdrant.Client.Grpc.Range { Lte = UnixMilliseconds(now) }) } };
}
