using System.Text;
using Microsoft.AspNetCore.Http;

namespace SkFallback.Simulator.Server;

/// <summary>
/// A 200 that never ends: a JSON body (or, streaming, one server-sent-events line) that keeps growing, 64 KiB at a
/// time, until the client disconnects or <see cref="MaxBytes"/> have gone out.
/// </summary>
internal static class EndlessBody
{
    /// <summary>The most an endless body sends, so a client without a cap still ends.</summary>
    public const long MaxBytes = 2L * 1024 * 1024 * 1024;

    private static readonly byte[] Filler = Encoding.ASCII.GetBytes(new string('a', 64 * 1024));

    public static async Task WriteAsync(HttpContext context, bool stream, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = stream ? "text/event-stream; charset=utf-8" : "application/json";
        var opening = Encoding.ASCII.GetBytes(stream ? "data: {\"id\":\"" : "{\"id\":\"");
        await response.Body.WriteAsync(opening, cancellationToken).ConfigureAwait(false);
        for (long sent = 0; sent < MaxBytes; sent += Filler.Length)
        {
            await response.Body.WriteAsync(Filler, cancellationToken).ConfigureAwait(false);
        }
    }
}
