using System.Text;
using StackExchange.Redis;

namespace SkFallback.Redis;

/// <summary>Names the keys and the channel of one <see cref="RedisProviderStateOptions.KeyPrefix"/>.</summary>
internal sealed class RedisKeys
{
    public RedisKeys(string prefix)
    {
        Root = $"skfallback:{prefix}:";
        ProviderPrefix = Root + "provider:";
        ProbePrefix = Root + "probe:";
        Channel = RedisChannel.Literal(Root + "changes");
        ProviderPattern = EscapeGlob(ProviderPrefix) + "*";
    }

    /// <summary>Gets <c>skfallback:{prefix}:</c>.</summary>
    public string Root { get; }

    /// <summary>Gets <c>skfallback:{prefix}:provider:</c>; a provider's hash key is this plus its key.</summary>
    public string ProviderPrefix { get; }

    /// <summary>Gets <c>skfallback:{prefix}:probe:</c>; a provider's probe lease key is this plus its key.</summary>
    public string ProbePrefix { get; }

    /// <summary>Gets the pub/sub channel every applied change is published on.</summary>
    public RedisChannel Channel { get; }

    /// <summary>Gets the SCAN pattern matching every provider hash of this prefix (glob characters of the prefix escaped).</summary>
    public string ProviderPattern { get; }

    public RedisKey Provider(string providerKey) => ProviderPrefix + providerKey;

    public RedisKey Probe(string providerKey) => ProbePrefix + providerKey;

    /// <summary>Gets the provider key back from a provider hash key, or <see langword="null"/> when the key is not one.</summary>
    public string? ProviderKeyOf(string redisKey) =>
        redisKey.StartsWith(ProviderPrefix, StringComparison.Ordinal) ? redisKey[ProviderPrefix.Length..] : null;

    private static string EscapeGlob(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
