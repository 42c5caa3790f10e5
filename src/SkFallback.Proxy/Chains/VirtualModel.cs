using Microsoft.Extensions.AI;

namespace SkFallback.Proxy.Chains;

/// <summary>A model name a client may send: a chain's name, or the pinned model its first provider serves.</summary>
/// <param name="Name">The name clients send in <c>model</c>.</param>
/// <param name="Chain">The chain's name.</param>
/// <param name="Client">The chain.</param>
/// <param name="Pinned">Whether the name is a provider's pinned model rather than a chain name.</param>
/// <param name="Providers">The chain's providers in order (names and models only: no keys, no endpoints).</param>
internal sealed record VirtualModel(string Name, string Chain, IChatClient Client, bool Pinned, IReadOnlyList<(string Name, string Model)> Providers);
