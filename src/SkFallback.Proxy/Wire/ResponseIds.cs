namespace SkFallback.Proxy.Wire;

/// <summary>
/// Ids of the answers the gateway writes (<c>chatcmpl-skf…</c>, <c>msg_skf…</c>): a prefix and 24 hex digits of
/// <see cref="Random.Shared"/>. They name a response and guard nothing, so the cryptographic generator (a system call and
/// an array per answer) is not needed; 96 random bits keep them unique.
/// </summary>
internal static class ResponseIds
{
    /// <summary>Makes a new id.</summary>
    /// <param name="prefix">The wire's prefix.</param>
    /// <returns><paramref name="prefix"/> followed by 24 lower-case hex digits.</returns>
    public static string New(string prefix)
    {
        Span<byte> random = stackalloc byte[12];
        Random.Shared.NextBytes(random);
        return string.Concat(prefix, Convert.ToHexStringLower(random));
    }
}
