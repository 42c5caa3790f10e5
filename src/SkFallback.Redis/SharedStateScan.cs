using StackExchange.Redis;

namespace SkFallback.Redis;

/// <summary>Reads every provider record of a key prefix from the primaries, one at a time.</summary>
internal static class SharedStateScan
{
    public static async IAsyncEnumerable<(string ProviderKey, SharedProviderState Shared)> ReadAsync(IConnectionMultiplexer connection, RedisKeys keys)
    {
        var database = connection.GetDatabase();
        foreach (var server in connection.GetServers())
        {
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            await foreach (var key in server.KeysAsync(database.Database, keys.ProviderPattern, pageSize: 250).ConfigureAwait(false))
            {
                if (keys.ProviderKeyOf(key.ToString()) is not { } providerKey)
                {
                    continue;
                }

                var entries = await database.HashGetAllAsync(key).ConfigureAwait(false);
                if (SharedProviderState.FromHash(providerKey, entries) is { } shared)
                {
                    yield return (providerKey, shared);
                }
            }
        }
    }
}
