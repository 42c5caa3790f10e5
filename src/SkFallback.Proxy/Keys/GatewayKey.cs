using SkFallback.Proxy.Configuration;

namespace SkFallback.Proxy.Keys;

/// <summary>A gateway key as the gateway holds it: its digest, its limits, and its running usage.</summary>
internal sealed class GatewayKey
{
    /// <summary>Initializes a new instance of the <see cref="GatewayKey"/> class.</summary>
    /// <param name="options">The configured key.</param>
    /// <param name="digest">The SHA-256 of the key.</param>
    public GatewayKey(GatewayKeyOptions options, byte[] digest)
    {
        Options = options;
        Digest = digest;
        Models = options.Models.Count == 0 ? null : new HashSet<string>(options.Models, StringComparer.Ordinal);
    }

    /// <summary>Gets the configured key.</summary>
    public GatewayKeyOptions Options { get; }

    /// <summary>Gets the key's name.</summary>
    public string Id => Options.Id;

    /// <summary>Gets the SHA-256 of the key.</summary>
    public byte[] Digest { get; }

    /// <summary>Gets the allowed virtual models, or <see langword="null"/> for all.</summary>
    public IReadOnlySet<string>? Models { get; }

    /// <summary>Gets a value indicating whether the key has a daily or monthly budget.</summary>
    public bool HasBudget => Options.DailyBudgetUsd is not null || Options.MonthlyBudgetUsd is not null;

    /// <summary>Gets a value indicating whether the key has a per-minute limit.</summary>
    public bool HasRateLimit => Options.RequestsPerMinute is not null || Options.TokensPerMinute is not null;

    /// <summary>Whether the key may call the model a request names (by the name sent or by its chain).</summary>
    /// <param name="name">The name the request sent.</param>
    /// <param name="chain">The chain it resolves to.</param>
    /// <returns>Whether it is allowed.</returns>
    public bool Allows(string name, string chain) => Models is null || Models.Contains(name) || Models.Contains(chain);
}
