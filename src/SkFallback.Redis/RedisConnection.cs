using StackExchange.Redis;

namespace SkFallback.Redis;

/// <summary>How a <see cref="RedisProviderStateStore"/> connects when it owns its connection: in the background, never aborting, failing fast while disconnected.</summary>
internal static class RedisConnection
{
    /// <summary>Connects; <see langword="null"/> when the connection cannot even be created (the store then stays local).</summary>
    public static async Task<IConnectionMultiplexer?> ConnectAsync(string connectionString)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        configuration.AbortOnConnectFail = false;

        // While disconnected, fail at once rather than queue: the caller's local state rules, and the store replays
        // what matters (this replica's latest change per provider) itself when Redis returns.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "skfallback";
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }
}
