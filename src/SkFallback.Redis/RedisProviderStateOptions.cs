using System.Globalization;
using StackExchange.Redis;

namespace SkFallback.Redis;

/// <summary>Configures <see cref="RedisProviderStateStore"/>: where Redis is, how keys are named, and how long shared state lives.</summary>
/// <remarks>
/// Keys are <c>skfallback:{KeyPrefix}:provider:{providerKey}</c> (a hash), <c>skfallback:{KeyPrefix}:probe:{providerKey}</c>
/// (a probe lease) and the pub/sub channel <c>skfallback:{KeyPrefix}:changes</c>. Give apps that share one Redis
/// but not their providers different prefixes.
/// </remarks>
public sealed class RedisProviderStateOptions
{
    /// <summary>Gets or sets the StackExchange.Redis connection string (for example <c>localhost:6379</c>).</summary>
    /// <value>
    /// Defaults to <see langword="null"/>. Exactly one of this and <see cref="ConnectionMultiplexer"/> must be set. The store
    /// owns the connection it makes, connects in the background with <c>abortConnect=false</c> (the app starts without Redis)
    /// and fails fast while disconnected instead of queueing commands.
    /// </value>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets an existing connection to use instead of <see cref="ConnectionString"/>.</summary>
    /// <value>
    /// Defaults to <see langword="null"/>. The store does not dispose a connection it was given. Create it with
    /// <c>AbortOnConnectFail = false</c> so the app starts while Redis is down.
    /// </value>
    public IConnectionMultiplexer? ConnectionMultiplexer { get; set; }

    /// <summary>Gets or sets the part of every key and of the channel name that separates apps sharing one Redis.</summary>
    /// <value>Defaults to <c>default</c>. 1–100 characters, no whitespace.</value>
    public string KeyPrefix { get; set; } = "default";

    /// <summary>Gets or sets this replica's id, stamped on its changes so it can ignore their echo.</summary>
    /// <value>Defaults to the machine name, the process id and a random suffix. 1–200 characters; unique per replica.</value>
    public string ReplicaId { get; set; } = CreateReplicaId();

    /// <summary>Gets or sets the probe lease used when the caller passes a lease that is zero or negative.</summary>
    /// <value>Defaults to 30 s. Allowed range 100 ms–1 hour.</value>
    public TimeSpan ProbeLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long a provider's shared state outlives the later of its break end and its cooldown end.</summary>
    /// <value>Defaults to 10 minutes. Allowed range 1 s–1 day. Stale state expires on its own, so a dead replica leaves nothing behind.</value>
    public TimeSpan StateRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how long <see cref="RedisProviderStateStore.TryAcquireProbe"/> waits for Redis before it grants the probe locally.</summary>
    /// <value>Defaults to 50 ms. Allowed range 1 ms–5 s.</value>
    public TimeSpan ProbeAcquireTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    internal static string CreateReplicaId() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 4)}");
}
