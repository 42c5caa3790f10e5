namespace SkFallback.Simulator;

/// <summary>Latency a simulated model adds: a delay before the first token and a steady token rate.</summary>
/// <param name="TimeToFirstToken">Delay before the response headers (and so the first token) are sent.</param>
/// <param name="TokensPerSecond">Token rate after the first token; zero or less means no per-token delay.</param>
/// <param name="Jitter">Relative jitter between 0 and 1 applied to every delay, drawn from the simulator's seed.</param>
public sealed record LatencyProfile(TimeSpan TimeToFirstToken, double TokensPerSecond, double Jitter)
{
    /// <summary>Gets a profile that adds no latency at all.</summary>
    public static LatencyProfile None { get; } = new(TimeSpan.Zero, 0, 0);

    /// <summary>
    /// Gets the fraction of requests, from 0 to 1, that wait <see cref="SlowTimeToFirstToken"/> instead of
    /// <see cref="TimeToFirstToken"/>: a heavy tail, as hedged calls meet it. Which requests are slow is drawn from
    /// the simulator's seed and the request's arrival number.
    /// </summary>
    public double SlowFraction { get; init; }

    /// <summary>Gets the time to first token of the slow requests (see <see cref="SlowFraction"/>).</summary>
    public TimeSpan SlowTimeToFirstToken { get; init; }

    internal TimeSpan PerToken => TokensPerSecond > 0 ? TimeSpan.FromSeconds(1 / TokensPerSecond) : TimeSpan.Zero;

    internal bool IsNone => TimeToFirstToken <= TimeSpan.Zero && PerToken <= TimeSpan.Zero && (SlowFraction <= 0 || SlowTimeToFirstToken <= TimeSpan.Zero);
}
