using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace SkFallback.Proxy.Wire;

/// <summary>
/// Writes server-sent events (<c>event: name\n</c>, <c>data: json\n\n</c>) to a response, one JSON writer reused for
/// every event. Each event is flushed at once, except while <see cref="Coalesce"/> is on: then events only reach the
/// response buffer and the caller flushes (<see cref="FlushAsync"/>) when the upstream has nothing more ready, so a
/// burst of chunks leaves in one write instead of one syscall each, and no event waits behind a slow upstream. The
/// gateway's streams coalesce from their first event (headers and the opening event leave with the first content) to
/// their last (the closing events and <c>[DONE]</c> leave in one write).
/// </summary>
internal sealed class SseWriter : IDisposable
{
    private static readonly byte[] Data = "data: "u8.ToArray();
    private static readonly byte[] Event = "event: "u8.ToArray();
    private static readonly byte[] End = "\n\n"u8.ToArray();
    private readonly PipeWriter _output;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;
    private long _unflushed;

    /// <summary>Initializes a new instance of the <see cref="SseWriter"/> class.</summary>
    /// <param name="output">The response body.</param>
    public SseWriter(PipeWriter output)
    {
        _output = output;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>The most bytes held back while coalescing before a flush anyway.</summary>
    public const int MaxUnflushedBytes = 16 * 1024;

    /// <summary>Gets or sets a value indicating whether events wait for <see cref="FlushAsync"/> (up to <see cref="MaxUnflushedBytes"/>).</summary>
    public bool Coalesce { get; set; }

    /// <summary>Starts an event's JSON; write one value, then call <see cref="SendAsync"/>.</summary>
    /// <returns>The JSON writer.</returns>
    public Utf8JsonWriter Begin()
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        return _json;
    }

    /// <summary>Sends the event begun with <see cref="Begin"/>.</summary>
    /// <param name="eventName">The event name (the Anthropic wire names events), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the event was flushed.</returns>
    public ValueTask<FlushResult> SendAsync(string? eventName, CancellationToken cancellationToken)
    {
        _json.Flush();
        if (eventName is not null)
        {
            _output.Write(Event);
            var span = _output.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(eventName.Length));
            _output.Advance(System.Text.Encoding.UTF8.GetBytes(eventName, span));
            _output.Write("\n"u8);
        }

        _output.Write(Data);
        _output.Write(_buffer.WrittenSpan);
        _output.Write(End);
        _unflushed += _buffer.WrittenCount + Data.Length + End.Length;
        if (Coalesce && _unflushed < MaxUnflushedBytes)
        {
            return default;
        }

        return FlushAsync(cancellationToken);
    }

    /// <summary>Sends what the events written so far left in the buffer.</summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when flushed.</returns>
    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken)
    {
        _unflushed = 0;
        return _output.FlushAsync(cancellationToken);
    }

    /// <summary>Sends <c>data: [DONE]</c> (the OpenAI wire's end).</summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when flushed.</returns>
    public ValueTask<FlushResult> SendDoneAsync(CancellationToken cancellationToken)
    {
        _output.Write("data: [DONE]\n\n"u8);
        return FlushAsync(cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => _json.Dispose();
}
