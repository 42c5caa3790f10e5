using Qdrant.Client.Grpc;

namespace SkFallback.Qdrant;

/// <summary>What the store needs to know of an existing collection.</summary>
/// <param name="Dimensions">The size of its single unnamed vector; <see langword="null"/> when it has named vectors or none.</param>
/// <param name="Distance">The distance of that vector.</param>
/// <param name="IndexedFields">The payload fields with an index.</param>
internal sealed record QdrantCollectionShape(int? Dimensions, Distance Distance, IReadOnlySet<string> IndexedFields);
