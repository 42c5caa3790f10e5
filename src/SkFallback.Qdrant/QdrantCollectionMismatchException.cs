namespace SkFallback.Qdrant;

/// <summary>
/// Thrown when a Qdrant collection the store would use already exists with vectors it cannot use: another vector size
/// (a namespace shared by two embedding models), another distance than cosine, or named vectors.
/// </summary>
/// <remarks>
/// Give each embedding model its own cache namespace, or delete the collection named by <see cref="CollectionName"/>
/// so the store creates it again. The store remembers the collection's shape, so repeated calls fail without a round trip.
/// </remarks>
public sealed class QdrantCollectionMismatchException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="QdrantCollectionMismatchException"/> class.</summary>
    public QdrantCollectionMismatchException()
        : this("A Qdrant collection does not fit the cache.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QdrantCollectionMismatchException"/> class.</summary>
    /// <param name="message">The message.</param>
    public QdrantCollectionMismatchException(string message)
        : this(message, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QdrantCollectionMismatchException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The inner exception.</param>
    public QdrantCollectionMismatchException(string message, Exception? innerException)
        : base(message, innerException)
    {
        CollectionName = string.Empty;
    }

    /// <summary>Initializes a new instance of the <see cref="QdrantCollectionMismatchException"/> class.</summary>
    /// <param name="collectionName">The collection.</param>
    /// <param name="expectedDimensions">The vector size the store needed.</param>
    /// <param name="actualDimensions">The vector size of the collection, when it has one unnamed vector.</param>
    /// <param name="message">The message, naming the collection and both sizes.</param>
    public QdrantCollectionMismatchException(string collectionName, int expectedDimensions, int? actualDimensions, string message)
        : base(message)
    {
        CollectionName = collectionName;
        ExpectedDimensions = expectedDimensions;
        ActualDimensions = actualDimensions;
    }

    /// <summary>Gets the name of the collection that does not fit.</summary>
    public string CollectionName { get; }

    /// <summary>Gets the vector size the store needed.</summary>
    public int ExpectedDimensions { get; }

    /// <summary>Gets the vector size of the existing collection, or <see langword="null"/> when it has no single unnamed vector.</summary>
    public int? ActualDimensions { get; }
}
