namespace SkFallback.Health;

/// <summary>The live health of each provider of a chain: breaker state, recent errors and latency, last failure.</summary>
/// <remarks>A <see cref="FallbackChatClient"/> implements it; get it with <c>client.GetService&lt;IProviderHealth&gt;()</c>.</remarks>
public interface IProviderHealth
{
    /// <summary>Takes a snapshot of every provider, in chain order.</summary>
    /// <returns>One snapshot per provider.</returns>
    IReadOnlyList<ProviderHealthSnapshot> GetSnapshot();
}
