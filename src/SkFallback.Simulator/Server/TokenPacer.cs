using System.Globalization;
using SkFallback.Simulator.Content;

namespace SkFallback.Simulator.Server;

/// <summary>Real-time delays of one response: time to first token, then one delay per token, with seeded jitter.</summary>
internal sealed class TokenPacer(LatencyProfile latency, int seed, int sequence)
{
    private ulong _state = StableHash.Of(seed.ToString(CultureInfo.InvariantCulture), "latency", sequence.ToString(CultureInfo.InvariantCulture));

    /// <summary>Whether this request is one of the heavy tail's slow ones (its own draw, apart from the jitter).</summary>
    public bool Slow { get; } = latency.SlowFraction > 0
        && Unit(StableHash.Of(seed.ToString(CultureInfo.InvariantCulture), "tail", sequence.ToString(CultureInfo.InvariantCulture))) < latency.SlowFraction;

    private TimeSpan TimeToFirstToken => Slow ? latency.SlowTimeToFirstToken : latency.TimeToFirstToken;

    public Task FirstTokenAsync(CancellationToken cancellationToken) => DelayAsync(TimeToFirstToken, cancellationToken);

    public Task NextTokenAsync(CancellationToken cancellationToken) => DelayAsync(latency.PerToken, cancellationToken);

    /// <summary>The whole generation time of a non-streamed reply of <paramref name="tokens"/> tokens.</summary>
    public Task WholeReplyAsync(int tokens, CancellationToken cancellationToken) =>
        DelayAsync(TimeToFirstToken + (latency.PerToken * Math.Max(0, tokens - 1)), cancellationToken);

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        _state = StableHash.Mix(_state);
        var unit = Unit(_state);
        var factor = 1 + (latency.Jitter * ((2 * unit) - 1));
        return Task.Delay(delay * Math.Max(0, factor), cancellationToken);
    }

    private static double Unit(ulong value) => (value >> 11) * (1.0 / (1UL << 53));
}
