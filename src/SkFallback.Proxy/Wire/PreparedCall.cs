using SkFallback.Proxy.Chains;
using SkFallback.Proxy.Keys;

namespace SkFallback.Proxy.Wire;

/// <summary>A request that passed authentication, parsing, model resolution and the key's limits.</summary>
/// <param name="Request">The request.</param>
/// <param name="Model">The virtual model it names.</param>
/// <param name="Key">The gateway key.</param>
/// <param name="StartedAt">The <see cref="TimeProvider.GetTimestamp"/> when the gateway received it.</param>
/// <param name="Rate">The key's rate-limit state after admitting it.</param>
internal sealed record PreparedCall(GatewayChatRequest Request, VirtualModel Model, GatewayKey Key, long StartedAt, RateDecision Rate);
