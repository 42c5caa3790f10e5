using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace SkFallback.Proxy.Wire;

/// <summary>What a wire's stream writer does with each update of the chain (OpenAI chunks, Anthropic events).</summary>
internal interface IUpdateWriter
{
    /// <summary>Writes one update as the wire's events.</summary>
    /// <param name="update">The update.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    Task WriteAsync(ChatResponseUpdate update, CancellationToken cancellationToken);
}

/// <summary>The parts both wires' streams share: the response's start and the pass-through of the chain's updates.</summary>
internal static class SseRelay
{
    /// <summary>Starts an SSE response: status, content type, no caching or proxy buffering, rate-limit and start headers.</summary>
    /// <param name="http">The response.</param>
    /// <param name="gateway">The gateway (rate-limit headers).</param>
    /// <param name="call">The call.</param>
    /// <param name="metadata">What the first update said (provider, model).</param>
    public static void Start(HttpResponse http, ChatGateway gateway, PreparedCall call, AnswerMetadata metadata)
    {
        http.StatusCode = 200;
        http.ContentType = "text/event-stream; charset=utf-8";
        http.Headers.CacheControl = "no-cache";
        http.Headers["X-Accel-Buffering"] = "no";
        gateway.WriteRateHeaders(http, call);
        metadata.WriteStartHeaders(http);
    }

    /// <summary>
    /// Writes the current update and every next one, absorbing their metadata; events the chain has ready together are
    /// written without a flush, and the writer flushes whenever the next update is not ready yet. The writer is left
    /// coalescing: the caller's last event must flush (<see cref="SseWriter.SendDoneAsync"/> or <see cref="SseWriter.FlushAsync"/>).
    /// </summary>
    /// <param name="updates">The chain's updates, positioned on the first.</param>
    /// <param name="sse">The SSE writer.</param>
    /// <param name="stream">The wire's writer.</param>
    /// <param name="metadata">Collects the answer's metadata.</param>
    /// <param name="cancellationToken">The client's abort.</param>
    /// <returns>A task that completes after the last update.</returns>
    public static async Task RelayAsync(IAsyncEnumerator<ChatResponseUpdate> updates, SseWriter sse, IUpdateWriter stream, AnswerMetadata metadata, CancellationToken cancellationToken)
    {
        // Coalescing stays on after the last update: the wire's closing events leave with its final flush.
        sse.Coalesce = true;
        var any = true;
        while (any)
        {
            var update = updates.Current;
            metadata.Absorb(update.AdditionalProperties);
            await stream.WriteAsync(update, cancellationToken).ConfigureAwait(false);
            var next = updates.MoveNextAsync();
            if (!next.IsCompleted)
            {
                // Nothing more is ready: send what was written before waiting for the upstream.
                await sse.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            any = await next.ConfigureAwait(false);
        }
    }
}
