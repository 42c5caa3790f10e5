using System.Text;
using Microsoft.AspNetCore.Http;

namespace SkFallback.Simulator.Server;

/// <summary>
/// Writes one streamed reply as server-sent events. The handler drives it token by token so it can drop,
/// stall or truncate between tokens; every event is flushed at once.
/// </summary>
internal abstract class ChatEventStream(HttpResponse response, ReplyPlan plan)
{
    protected ReplyPlan Plan => plan;

    /// <summary>Content tokens written so far.</summary>
    public int TokensSent { get; protected set; }

    /// <summary>Opening events (role chunk / message_start, content_block_start, ping).</summary>
    public abstract Task StartAsync(CancellationToken cancellationToken);

    public abstract Task WriteTokenAsync(string token, CancellationToken cancellationToken);

    /// <summary>The tool call: its opening event, then argument fragments (at most <paramref name="maxFragments"/>; the block is closed only when all were sent).</summary>
    public abstract Task WriteToolCallAsync(int maxFragments, CancellationToken cancellationToken);

    /// <summary>Closing events: finish reason, usage and the terminal event.</summary>
    public abstract Task FinishAsync(CancellationToken cancellationToken);

    /// <summary>An event whose data is not valid JSON.</summary>
    public abstract Task WriteMalformedAsync(CancellationToken cancellationToken);

    protected async Task WriteEventAsync(string? eventName, string data, CancellationToken cancellationToken)
    {
        var text = eventName is null ? $"data: {data}\n\n" : $"event: {eventName}\ndata: {data}\n\n";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Splits tool arguments into a few fragments, as providers stream them.</summary>
    protected static IEnumerable<string> ArgumentFragments(string json)
    {
        const int FragmentLength = 8;
        for (var i = 0; i < json.Length; i += FragmentLength)
        {
            yield return json.Substring(i, Math.Min(FragmentLength, json.Length - i));
        }
    }
}
