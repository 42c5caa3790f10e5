using System.Security.Cryptography;
using SkFallback.Proxy.Configuration;

namespace SkFallback.Proxy.Keys;

/// <summary>
/// The gateway keys, held only as SHA-256 digests. A presented key is hashed and compared with every stored digest in
/// constant time (no early exit), so neither the comparison nor the lookup tells how close a guess was.
/// </summary>
internal sealed class GatewayKeyStore
{
    private readonly GatewayKey[] _keys;

    /// <summary>Initializes a new instance of the <see cref="GatewayKeyStore"/> class.</summary>
    /// <param name="keys">The keys (already validated).</param>
    public GatewayKeyStore(IEnumerable<GatewayKey> keys)
    {
        _keys = [.. keys];
    }

    /// <summary>Gets the number of keys.</summary>
    public int Count => _keys.Length;

    /// <summary>Gets the keys (their options and digests; never a key itself).</summary>
    public IReadOnlyList<GatewayKey> Keys => _keys;

    /// <summary>Builds the store from configuration, plus an optional development key.</summary>
    /// <param name="options">The gateway options (validated).</param>
    /// <param name="developmentKey">The development key, when offline.</param>
    /// <returns>The store.</returns>
    public static GatewayKeyStore Create(GatewayOptions options, string? developmentKey)
    {
        var keys = new List<GatewayKey>();
        foreach (var key in options.Keys)
        {
            if (GatewayKeyHash.TryParse(key.Hash, out var digest))
            {
                keys.Add(new GatewayKey(key, digest));
            }
        }

        if (developmentKey is not null)
        {
            keys.Add(new GatewayKey(new GatewayKeyOptions { Id = "development", Tenant = "development", AllowTenantOverride = true }, GatewayKeyHash.Digest(developmentKey)));
        }

        return new GatewayKeyStore(keys);
    }

    /// <summary>Finds the key a request presented.</summary>
    /// <param name="presented">The key as sent.</param>
    /// <returns>The key, or <see langword="null"/> when it matches none.</returns>
    public GatewayKey? Find(string presented)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        GatewayKeyHash.Digest(presented, digest);
        GatewayKey? found = null;
        foreach (var key in _keys)
        {
            if (key.Digest.Length == digest.Length && CryptographicOperations.FixedTimeEquals(key.Digest, digest))
            {
                found ??= key;
            }
        }

        return found;
    }
}
