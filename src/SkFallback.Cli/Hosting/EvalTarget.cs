using Microsoft.Extensions.AI;

namespace SkFallback.Cli.Hosting;

/// <summary>What <c>eval run</c> sends cases to: one provider as a chain of its own, or the whole chain.</summary>
internal sealed class EvalTarget(string name, string kind, IReadOnlyList<string> configuredModels, IChatClient client, IDisposable? owner) : IDisposable
{
    /// <summary>The kind of a target that is one provider alone.</summary>
    public const string ProviderKind = "provider";

    /// <summary>The kind, and the name, of the target that is the whole chain.</summary>
    public const string ChainKind = "chain";

    /// <summary>Gets the target's name: the provider's name, or <c>chain</c>.</summary>
    public string Name => name;

    /// <summary>Gets <see cref="ProviderKind"/> or <see cref="ChainKind"/>.</summary>
    public string Kind => kind;

    /// <summary>Gets the configured model ids of its providers, in order.</summary>
    public IReadOnlyList<string> ConfiguredModels => configuredModels;

    /// <summary>Gets the client: a fallback chain built from configuration.</summary>
    public IChatClient Client => client;

    /// <inheritdoc/>
    public void Dispose()
    {
        client.Dispose();
        owner?.Dispose();
    }
}
