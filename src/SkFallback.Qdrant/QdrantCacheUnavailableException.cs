namespace SkFallback.Qdrant;

/// <summary>
/// Thrown by <see cref="QdrantSemanticCacheStore"/> when Qdrant cannot be reached or does not answer in time, instead of
/// the gRPC client's own errors. The response cache treats it like any store failure: it bypasses the cache for the call.
/// </summary>
/// <remarks>
/// After such a failure the store throws this exception at once, without contacting Qdrant, for
/// <see cref="QdrantCacheOptions.OutageBackoff"/> (<see cref="DuringBackoff"/> is then <see langword="true"/>). The message
/// names the operation and Qdrant's scheme, host and port; it never holds the API key.
/// </remarks>
public sealed class QdrantCacheUnavailableException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="QdrantCacheUnavailableException"/> class.</summary>
    public QdrantCacheUnavailableException()
        : this("Qdrant is unavailable.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QdrantCacheUnavailableException"/> class.</summary>
    /// <param name="message">The message.</param>
    public QdrantCacheUnavailableException(string message)
        : this(message, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QdrantCacheUnavailableException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The error that made Qdrant look unavailable.</param>
    public QdrantCacheUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Endpoint = string.Empty;
        Operation = string.Empty;
    }

    /// <summary>Initializes a new instance of the <see cref="QdrantCacheUnavailableException"/> class.</summary>
    /// <param name="endpoint">Qdrant's scheme, host and port.</param>
    /// <param name="operation">What the store was doing (for example <c>search</c>).</param>
    /// <param name="reason">Why Qdrant counts as unavailable (for example a gRPC status).</param>
    /// <param name="duringBackoff">Whether Qdrant was not contacted because it failed moments before.</param>
    /// <param name="innerException">The error that made Qdrant look unavailable, when Qdrant was contacted.</param>
    public QdrantCacheUnavailableException(string endpoint, string operation, string reason, bool duringBackoff, Exception? innerException)
        : base(
            duringBackoff
                ? $"Qdrant at {endpoint} is unavailable ({reason}); the cache {operation} was not attempted while the store backs off."
                : $"Qdrant at {endpoint} is unavailable: the cache {operation} failed ({reason}).",
            innerException)
    {
        Endpoint = endpoint;
        Operation = operation;
        DuringBackoff = duringBackoff;
    }

    /// <summary>Gets Qdrant's scheme, host and port.</summary>
    public string Endpoint { get; }

    /// <summary>Gets what the store was doing: <c>lookup</c>, <c>search</c>, <c>upsert</c>, <c>remove</c>, <c>cleanup</c>, <c>count</c>.</summary>
    public string Operation { get; }

    /// <summary>Gets a value indicating whether Qdrant was not contacted because it had failed within <see cref="QdrantCacheOptions.OutageBackoff"/>.</summary>
    public bool DuringBackoff { get; }
}
