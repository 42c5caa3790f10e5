namespace SkFallback.Simulator;

/// <summary>Options of one <see cref="ProviderSimulator"/> instance.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Gets or sets the seed of every deterministic choice (reply words, ids, jitter).</summary>
    /// <value>Defaults to 1.</value>
    public int Seed { get; set; } = 1;

    /// <summary>Gets or sets the loopback port to listen on; 0 picks a free port.</summary>
    /// <value>Defaults to 0. Allowed range 0 to 65535.</value>
    public int Port { get; set; }

    /// <summary>Gets or sets the number of words in a normal reply.</summary>
    /// <value>Defaults to 24. Allowed range 1 to 10000.</value>
    public int ReplyWords { get; set; } = 24;

    /// <summary>Gets or sets the only API key accepted; requests with another key get 401 in their wire's format.</summary>
    /// <value>Defaults to <see langword="null"/>: any key is accepted.</value>
    public string? RequiredApiKey { get; set; }

    /// <summary>Gets or sets the latency of models whose script sets none.</summary>
    /// <value>Defaults to <see cref="LatencyProfile.None"/>.</value>
    public LatencyProfile DefaultLatency { get; set; } = LatencyProfile.None;

    /// <summary>
    /// Gets or sets the clock of the simulator: request timestamps, <c>created</c> fields, rate-limit bucket refills and
    /// the reset times in rate-limit headers. Latency delays (<see cref="LatencyProfile"/>) always use real time.
    /// </summary>
    /// <value>Defaults to <see cref="TimeProvider.System"/>; tests pass a <c>FakeTimeProvider</c> to refill buckets without waiting.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "SimulatorOptions.Port must be between 0 and 65535.");
        }

        if (ReplyWords is < 1 or > 10000)
        {
            throw new ArgumentOutOfRangeException(nameof(ReplyWords), ReplyWords, "SimulatorOptions.ReplyWords must be between 1 and 10000.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(DefaultLatency, nameof(DefaultLatency));
        if (DefaultLatency.Jitter is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultLatency), DefaultLatency.Jitter, "SimulatorOptions.DefaultLatency.Jitter must be between 0 and 1.");
        }
    }
}
