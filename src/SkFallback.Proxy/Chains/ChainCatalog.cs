using Microsoft.Extensions.AI;
using SkFallback.Health;

namespace SkFallback.Proxy.Chains;

/// <summary>
/// The gateway's chains by name, and the names clients may send: each chain's name, and each chain's first pinned
/// model (the first chain in configuration order that starts with it).
/// </summary>
internal sealed class ChainCatalog : IDisposable
{
    private readonly Dictionary<string, VirtualModel> _byName = new(StringComparer.Ordinal);
    private readonly List<(string Name, FallbackChatClient Client)> _chains = [];
    private readonly List<VirtualModel> _models = [];

    /// <summary>Initializes a new instance of the <see cref="ChainCatalog"/> class.</summary>
    /// <param name="chains">The chains in configuration order, with their options.</param>
    public ChainCatalog(IEnumerable<(string Name, FallbackOptions Options, FallbackChatClient Client)> chains)
    {
        var all = chains.ToList();
        foreach (var (name, options, client) in all)
        {
            var providers = options.Providers.Select(p => (p.Name, p.Model)).ToArray();
            _chains.Add((name, client));
            var model = new VirtualModel(name, name, client, Pinned: false, providers);
            _byName[name] = model;
            _models.Add(model);
        }

        foreach (var (name, options, client) in all)
        {
            var first = options.Providers[0].Model;
            if (!_byName.ContainsKey(first))
            {
                var pinned = new VirtualModel(first, name, client, Pinned: true, options.Providers.Select(p => (p.Name, p.Model)).ToArray());
                _byName[first] = pinned;
                _models.Add(pinned);
            }
        }
    }

    /// <summary>Gets every name clients may send, chains first.</summary>
    public IReadOnlyList<VirtualModel> Models => _models;

    /// <summary>Gets the chains by name, in configuration order.</summary>
    public IReadOnlyList<(string Name, FallbackChatClient Client)> Chains => _chains;

    /// <summary>Finds what a request's <c>model</c> names.</summary>
    /// <param name="model">The name.</param>
    /// <param name="virtualModel">The virtual model, when found.</param>
    /// <returns>Whether the name is known.</returns>
    public bool TryResolve(string model, out VirtualModel virtualModel) => _byName.TryGetValue(model, out virtualModel!);

    /// <summary>Gets each chain's provider health.</summary>
    /// <returns>The snapshots by chain.</returns>
    public IEnumerable<(string Chain, IReadOnlyList<ProviderHealthSnapshot> Providers)> Health()
    {
        foreach (var (name, client) in _chains)
        {
            yield return (name, client.GetSnapshot());
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, client) in _chains)
        {
            ((IChatClient)client).Dispose();
        }
    }
}
