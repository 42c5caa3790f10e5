using System.Security.Cryptography;
using System.Text;

namespace SkFallback.Proxy.Keys;

/// <summary>Makes and hashes gateway keys. A key is stored only as <c>sha256:</c> and the hex SHA-256 of its UTF-8 bytes.</summary>
internal static class GatewayKeyHash
{
    /// <summary>The prefix of every key the gateway makes.</summary>
    public const string KeyPrefix = "sk-skf-";

    /// <summary>The prefix of a stored hash.</summary>
    public const string HashPrefix = "sha256:";

    /// <summary>Makes a new random key (256 bits).</summary>
    /// <returns>The key.</returns>
    public static string NewKey() =>
        KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Hashes a key as it is stored in configuration.</summary>
    /// <param name="key">The key.</param>
    /// <returns><c>sha256:</c> and 64 lower-case hex digits.</returns>
    public static string Hash(string key) => HashPrefix + Convert.ToHexStringLower(Digest(key));

    /// <summary>The raw SHA-256 of a key.</summary>
    /// <param name="key">The key.</param>
    /// <returns>32 bytes.</returns>
    public static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The raw SHA-256 of a key, into <paramref name="digest"/> (every request: no array for the key's bytes or the digest).</summary>
    /// <param name="key">The key.</param>
    /// <param name="digest">32 bytes.</param>
    public static void Digest(string key, Span<byte> digest)
    {
        const int StackBytes = 256;
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = length > StackBytes ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> bytes = rented is not null ? rented : stackalloc byte[StackBytes];
        try
        {
            var written = Encoding.UTF8.GetBytes(key, bytes);
            SHA256.HashData(bytes[..written], digest);
        }
        finally
        {
            if (rented is not null)
            {
                // The bytes are a key: cleared before the array goes back to the pool.
                CryptographicOperations.ZeroMemory(rented);
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Reads a stored hash.</summary>
    /// <param name="hash">The stored text.</param>
    /// <param name="digest">The 32 bytes, when valid.</param>
    /// <returns>Whether the text is a valid hash.</returns>
    public static bool TryParse(string? hash, out byte[] digest)
    {
        digest = [];
        if (hash is null || !hash.StartsWith(HashPrefix, StringComparison.Ordinal) || hash.Length != HashPrefix.Length + 64)
        {
            return false;
        }

        try
        {
            digest = Convert.FromHexString(hash.AsSpan(HashPrefix.Length));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
