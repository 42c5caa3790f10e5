using System.Net;

namespace SkFallback.Providers;

/// <summary>
/// A response body with limits: past <c>maxBytes</c> in all, or past <c>maxLineBytes</c> without a line break (server-sent
/// events only), reading throws <see cref="InvalidDataException"/> (a <see cref="FailureKind.MalformedResponse"/>) and
/// the provider's stream is disposed, which closes the connection. Counting costs a few instructions per read and no
/// allocation.
/// </summary>
internal sealed class CappedContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly long _maxBytes;
    private readonly long _maxLineBytes;

    public CappedContent(HttpContent inner, long maxBytes, long maxLineBytes)
    {
        _inner = inner;
        _maxBytes = maxBytes;
        _maxLineBytes = maxLineBytes;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new CappedStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _inner, _maxBytes, _maxLineBytes);

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var source = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class CappedStream(Stream inner, HttpContent content, long maxBytes, long maxLineBytes) : Stream
    {
        private long _total;
        private long _line;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _total; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

        public override int Read(Span<byte> buffer) => Count(buffer[..inner.Read(buffer)]);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Count(buffer.Span[..read]);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Count(ReadOnlySpan<byte> read)
        {
            _total += read.Length;
            var lastBreak = read.LastIndexOf((byte)'\n');
            _line = lastBreak < 0 ? _line + read.Length : read.Length - lastBreak - 1;
            if (_total > maxBytes)
            {
                Cut();
                throw new InvalidDataException($"The response exceeded the chain's cap of {maxBytes} bytes (MaxResponseBytes); the connection was closed.");
            }

            if (_line > maxLineBytes)
            {
                Cut();
                throw new InvalidDataException($"An event-stream line exceeded the chain's cap of {maxLineBytes} bytes (MaxResponseLineBytes); the connection was closed.");
            }

            return read.Length;
        }

        /// <summary>Closes the provider's stream and its content, so the connection is not reused or drained.</summary>
        private void Cut()
        {
            inner.Dispose();
            content.Dispose();
        }
    }
}
