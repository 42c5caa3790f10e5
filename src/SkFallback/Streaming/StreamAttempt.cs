using Microsoft.Extensions.AI;
using SkFallback.Routing;

namespace SkFallback.Streaming;

/// <summary>
/// One streaming attempt's state, shared by the phase before commit (which a race runs for several providers at
/// once) and the pass-through after it.
/// </summary>
internal sealed class StreamAttempt
{
    // One spare per thread: a stream's attempt state (and its commit buffer's list) is reused by the next stream.
    [ThreadStatic]
    private static StreamAttempt? t_spare;

    public StreamAttempt(FallbackCall call, ChainProvider provider, bool probe, AttemptScope attempt, bool committed)
    {
        Call = call;
        Provider = provider;
        Probe = probe;
        Attempt = attempt;
        Committed = committed;
    }

    /// <summary>An attempt's state, reused when this thread has a spare.</summary>
    public static StreamAttempt Rent(FallbackCall call, ChainProvider provider, bool probe, AttemptScope attempt, bool committed)
    {
        if (t_spare is not { } spare)
        {
            return new StreamAttempt(call, provider, probe, attempt, committed);
        }

        t_spare = null;
        spare.Call = call;
        spare.Provider = provider;
        spare.Probe = probe;
        spare.Attempt = attempt;
        spare.Committed = committed;
        return spare;
    }

    /// <summary>Gives back an attempt's state once nothing reads it any more (its stream closed, its outcome taken).</summary>
    public static void Return(StreamAttempt attempt)
    {
        attempt.Call = null!;
        attempt.Provider = null!;
        attempt.Attempt = default;
        attempt.Stream = null;
        attempt.Armed = attempt.Committed = attempt.Ready = attempt.Ended = attempt.ContentSeen = attempt.Finished = false;
        attempt.FirstContentAt = 0;
        attempt.Chunks = 0;
        attempt.Stall = null;
        attempt.Failure = null;
        attempt.Pending.Reset();
        t_spare = attempt;
    }

    /// <summary>Gets or sets the call the attempt charges and records to (a racer's own, until its race is won).</summary>
    public FallbackCall Call { get; set; }

    public ChainProvider Provider { get; private set; }

    public bool Probe { get; private set; }

    public AttemptScope Attempt { get; private set; }

    public IAsyncEnumerator<ChatResponseUpdate>? Stream { get; set; }

    /// <summary>Gets or sets a value indicating whether the attempt's timer is set.</summary>
    public bool Armed { get; set; }

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

    /// <summary>Gets or sets the updates delivered to the caller by this attempt.</summary>
    public long Chunks { get; set; }

    public StreamStallDetector? Stall { get; set; }

    /// <summary>The updates held before commit (a field: the buffer is a mutable struct).</summary>
    public StreamCommitBuffer Pending;

    public FailureClassification? Failure { get; set; }
}
