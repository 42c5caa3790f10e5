using Microsoft.Extensions.AI;
using SkFallback.Engine;
using SkFallback.Routing;

namespace SkFallback.Streaming;

/// <summary>
/// One streaming attempt: the <see cref="Engine.Attempt"/> plus its stream's state, shared by the phase before commit
/// (which a race runs for several providers at once) and the pass-through after it.
/// </summary>
internal sealed class StreamAttempt
{
    // One spare per thread: a stream's attempt state (and its commit buffer's list) is reused by the next stream.
    [ThreadStatic]
    private static StreamAttempt? t_spare;

    public StreamAttempt(Attempt attempt, bool committed)
    {
        Attempt = attempt;
        Committed = committed;
    }

    /// <summary>An attempt's stream state, reused when this thread has a spare.</summary>
    public static StreamAttempt Rent(Attempt attempt, bool committed)
    {
        if (t_spare is not { } spare)
        {
            return new StreamAttempt(attempt, committed);
        }

        t_spare = null;
        spare.Attempt = attempt;
        spare.Committed = committed;
        return spare;
    }

    /// <summary>Gives back an attempt's state once nothing reads it any more (its stream closed, its outcome taken).</summary>
    public static void Return(StreamAttempt s)
    {
        s.Stream = null;
        s.Committed = s.Ready = s.Ended = s.ContentSeen = s.Finished = false;
        s.FirstContentAt = 0;
        s.Stall = null;
        s.Failure = null;
        s.Pending.Reset();
        t_spare = s;
    }

    public Attempt Attempt { get; private set; }

    public ChainProvider Provider => Attempt.Provider;

    public IAsyncEnumerator<ChatResponseUpdate>? Stream { get; set; }

    /// <summary>Gets or sets a value indicating whether updates pass straight to the caller (a continuation starts so).</summary>
    public bool Committed { get; set; }

    /// <summary>Gets or sets a value indicating whether the held updates may be committed (the buffer held enough).</summary>
    public bool Ready { get; set; }

    /// <summary>Gets or sets a value indicating whether the provider's stream has no more updates.</summary>
    public bool Ended { get; set; }

    public bool ContentSeen { get; set; }

    /// <summary>Gets or sets a value indicating whether the stream sent its finish reason.</summary>
    public bool Finished { get; set; }

    public long FirstContentAt { get; set; }

    public StreamStallDetector? Stall { get; set; }

    /// <summary>The updates held before commit (a field: the buffer is a mutable struct).</summary>
    public StreamCommitBuffer Pending;

    public FailureClassification? Failure { get; set; }
}
