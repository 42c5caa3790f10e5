using System.Text.Json;

namespace SkFallback.Proxy.Wire;

/// <summary>A parsed request body and the pooled bytes it reads from; disposing it returns both to their pools.</summary>
internal sealed class RequestJson : IDisposable
{
    private readonly JsonDocument _document;
    private readonly PooledBufferWriter _bytes;

    /// <summary>Initializes a new instance of the <see cref="RequestJson"/> class.</summary>
    /// <param name="document">The document, parsed over <paramref name="bytes"/> without a copy.</param>
    /// <param name="bytes">The body's bytes.</param>
    public RequestJson(JsonDocument document, PooledBufferWriter bytes)
    {
        _document = document;
        _bytes = bytes;
    }

    /// <summary>Gets the body's root element; valid until disposed (clone what must outlive it).</summary>
    public JsonElement RootElement => _document.RootElement;

    /// <inheritdoc />
    public void Dispose()
    {
        // The document first: it reads the bytes until then.
        _document.Dispose();
        _bytes.Dispose();
    }
}
