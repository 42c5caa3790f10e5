namespace SkFallback.Qdrant.Tests;

internal static class ServerCollections
{
    /// <summary>Deletes the collections a test created, so a shared server does not fill up.</summary>
    public static async Task DeleteWithPrefixAsync(QdrantTestServer server, string prefix)
    {
        using var client = server.CreateRawClient();
        foreach (var name in await client.ListCollectionsAsync())
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                await client.DeleteCollectionAsync(name);
            }
        }
    }
}
