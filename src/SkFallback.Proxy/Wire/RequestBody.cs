using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SkFallback.Proxy.Wire;

/// <summary>Reads a request body up to the gateway's limit and parses it as JSON, answering 413 or 400 with where it failed.</summary>
internal static class RequestBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 128 };

    /// <summary>Reads and parses the body.</summary>
    /// <param name="context">The request.</param>
    /// <param name="maxBytes">The limit.</param>
    /// <returns>The parsed body; dispose it.</returns>
    /// <exception cref="GatewayException">The body is too large, not JSON, or not an object.</exception>
    public static async Task<RequestJson> ReadJsonAsync(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // This method enforces the limit itself, so that it can read (and drop) an oversized body before answering 413:
            // a client still uploading would otherwise see a broken pipe instead of the answer.
            limit.MaxRequestBodySize = maxBytes + DrainBytes;
        }

        if (request.ContentLength is long length && length > maxBytes)
        {
            await DrainAsync(context, length <= maxBytes + DrainBytes).ConfigureAwait(false);
            throw new GatewayException(TooLarge(maxBytes));
        }

        var buffer = await ReadBytesAsync(context, maxBytes).ConfigureAwait(false);
        JsonDocument document;
        try
        {
            document = Parse(buffer);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }

        var json = new RequestJson(document, buffer);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            json.Dispose();
            throw new GatewayException(GatewayError.Invalid(null, "The request body must be a JSON object.", "invalid_json"));
        }

        return json;
    }

    /// <summary>
    /// Reads the whole body into a pooled buffer (sized from Content-Length, one byte over so that the end is seen
    /// without growing), answering 413 as soon as it passes the limit.
    /// </summary>
    private static async Task<PooledBufferWriter> ReadBytesAsync(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        var buffer = new PooledBufferWriter((int)Math.Min(request.ContentLength ?? 4096, maxBytes) + 1);
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(1);
                var read = await request.Body.ReadAsync(memory, context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > maxBytes)
                {
                    await DrainAsync(context, true).ConfigureAwait(false);
                    throw new GatewayException(TooLarge(maxBytes));
                }
            }
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            buffer.Dispose();
            throw new GatewayException(TooLarge(maxBytes));
        }
        catch
        {
            buffer.Dispose();
            throw;
        }

        return buffer;
    }

    /// <summary>Parses the body, answering 400 with the line and byte where it stopped being JSON.</summary>
    private static JsonDocument Parse(PooledBufferWriter buffer)
    {
        if (buffer.WrittenCount == 0)
        {
            throw new GatewayException(GatewayError.Invalid(null, "The request body is empty; expected a JSON object.", "invalid_json"));
        }

        try
        {
            return JsonDocument.Parse(buffer.WrittenMemory, DocumentOptions);
        }
        catch (JsonException exception)
        {
            var line = (exception.LineNumber ?? 0) + 1;
            var position = (exception.BytePositionInLine ?? 0) + 1;
            throw new GatewayException(GatewayError.Invalid(
                null,
                string.Create(CultureInfo.InvariantCulture, $"The request body is not valid JSON: {FirstSentence(exception.Message)} (line {line}, byte {position})."),
                "invalid_json"));
        }
    }

    /// <summary>How much of an oversized body is read and dropped so the client gets its 413; beyond that the connection is closed.</summary>
    private const long DrainBytes = 16L * 1024 * 1024;

    private static async Task DrainAsync(HttpContext context, bool drain)
    {
        if (!drain)
        {
            context.Response.Headers.Connection = "close";
            return;
        }

        var scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await context.Request.Body.ReadAsync(scratch, context.RequestAborted).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (BadHttpRequestException)
        {
            context.Response.Headers.Connection = "close";
        }
        catch (IOException)
        {
            context.Response.Headers.Connection = "close";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static GatewayError TooLarge(long maxBytes) =>
        new(413, "invalid_request_error", "request_too_large", null, string.Create(CultureInfo.InvariantCulture, $"The request body exceeds the gateway's limit of {maxBytes} bytes."));

    /// <summary>The parser's own explanation without its position suffix (we add ours).</summary>
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }
}
