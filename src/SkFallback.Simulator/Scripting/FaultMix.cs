namespace SkFallback.Simulator;

/// <summary>
/// A seeded mix of faults for load runs: each request draws a 503, a drop mid-stream, a stall mid-stream (until the
/// client disconnects) or a normal reply, with the given shares. <see cref="Draw"/> gives the same sequence for the
/// same seed, so a run's faults are known in arrival order even when which stream meets which is not.
/// </summary>
/// <param name="ServerErrorShare">The share of requests answered 503, from 0 to 1.</param>
/// <param name="DropShare">The share of requests whose connection is aborted after a few content tokens.</param>
/// <param name="StallShare">The share of requests that go silent after a few content tokens.</param>
/// <param name="Seed">The seed of the draw.</param>
public sealed record FaultMix(double ServerErrorShare, double DropShare, double StallShare, int Seed)
{
    /// <summary>Gets the mix of issue 13's flaky server: 30% 503, 5% drops, 3% stalls.</summary>
    /// <param name="seed">The seed of the draw.</param>
    /// <returns>The mix.</returns>
    public static FaultMix Flaky(int seed) => new(0.30, 0.05, 0.03, seed);

    /// <summary>Gets the most content tokens a drop or a stall lets through first; each draws from 1 to this.</summary>
    /// <value>Defaults to 20 (a normal reply has 24 words).</value>
    public int MaxTokensBeforeFault { get; init; } = 20;

    /// <summary>Draws the behaviours of the next <paramref name="requests"/> requests.</summary>
    /// <param name="requests">How many to draw (at least 0).</param>
    /// <returns>The behaviours in arrival order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A share is outside 0–1, the shares add up to more than 1, or <see cref="MaxTokensBeforeFault"/> is below 1.</exception>
    public IReadOnlyList<SimulatedBehavior> Draw(int requests)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(requests);
        Validate();
        var random = new Random(Seed);
        var drawn = new SimulatedBehavior[requests];
        for (var i = 0; i < requests; i++)
        {
            var roll = random.NextDouble();
            var tokens = random.Next(1, MaxTokensBeforeFault + 1);
            drawn[i] = roll < ServerErrorShare ? SimulatedBehavior.ServerError(503)
                : roll < ServerErrorShare + DropShare ? SimulatedBehavior.DropAfter(tokens)
                : roll < ServerErrorShare + DropShare + StallShare ? SimulatedBehavior.Stall(tokens)
                : SimulatedBehavior.Ok();
        }

        return drawn;
    }

    private void Validate()
    {
        foreach (var (share, name) in new[] { (ServerErrorShare, nameof(ServerErrorShare)), (DropShare, nameof(DropShare)), (StallShare, nameof(StallShare)) })
        {
            if (share is < 0 or > 1 || double.IsNaN(share))
            {
                throw new ArgumentOutOfRangeException(name, share, $"FaultMix.{name} must be between 0 and 1.");
            }
        }

        if (ServerErrorShare + DropShare + StallShare > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ServerErrorShare), "The shares of a FaultMix must add up to at most 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTokensBeforeFault, 1, nameof(MaxTokensBeforeFault));
    }
}
