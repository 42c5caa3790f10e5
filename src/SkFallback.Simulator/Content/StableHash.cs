using System.Text;

namespace SkFallback.Simulator.Content;

/// <summary>
/// A process-independent 64-bit hash (FNV-1a over UTF-8, then a SplitMix64 finaliser) so replies and ids are
/// stable across runs; <see cref="string.GetHashCode()"/> is randomised per process.
/// </summary>
internal static class StableHash
{
    public static ulong Of(params ReadOnlySpan<string?> parts)
    {
        var hash = 14695981039346656037UL;
        Span<byte> buffer = stackalloc byte[256];
        foreach (var part in parts)
        {
            var text = part ?? string.Empty;
            var bytes = Encoding.UTF8.GetByteCount(text) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(text, buffer)] : Encoding.UTF8.GetBytes(text);
            foreach (var b in bytes)
            {
                hash = (hash ^ b) * 1099511628211UL;
            }

            // A separator byte keeps ("ab","c") and ("a","bc") apart.
            hash = (hash ^ 0xFF) * 1099511628211UL;
        }

        return Mix(hash);
    }

    public static ulong Mix(ulong value)
    {
        value += 0x9E3779B97F4A7C15UL;
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }

    /// <summary>Lower-case base-36 text of a hash, padded to <paramref name="length"/> characters.</summary>
    public static string ToId(ulong hash, int length)
    {
        const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        var chars = new char[length];
        var state = hash;
        for (var i = 0; i < length; i++)
        {
            if (i % 12 == 0 && i > 0)
            {
                state = Mix(hash + (ulong)i);
            }

            chars[i] = Alphabet[(int)(state % 36)];
            state /= 36;
        }

        return new string(chars);
    }
}
