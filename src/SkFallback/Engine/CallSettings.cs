using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Routing;
using SkFallback.Streaming;

namespace SkFallback.Engine;

/// <summary>
/// What a request's own keys (<see cref="FallbackMetadataKeys"/>) ask of the chain, read once per call: hedging,
/// streaming mode, the provider to start with, the routing policy and the turn budget. A request without keys
/// takes the chain's defaults without reading anything.
/// </summary>
internal readonly struct CallSettings
{
    private CallSettings(HedgingMode hedging, StreamingMode streamingMode, int preferred, bool hasKeys, IRoutingPolicy? policy, TurnBudget? turn)
    {
        Hedging = hedging;
        StreamingMode = streamingMode;
        Preferred = preferred;
        HasKeys = hasKeys;
        Policy = policy;
        Turn = turn;
    }

    public HedgingMode Hedging { get; }

    public StreamingMode StreamingMode { get; }

    /// <summary>Gets the chain position of the provider the caller asked to start with, or -1.</summary>
    public int Preferred { get; }

    /// <summary>Gets a value indicating whether the request carries SkFallback keys (which are removed before a provider sees it).</summary>
    public bool HasKeys { get; }

    /// <summary>Gets the routing policy the request names, or <see langword="null"/> for the chain's.</summary>
    public IRoutingPolicy? Policy { get; }

    /// <summary>Gets the turn budget the call draws from, if any.</summary>
    public TurnBudget? Turn { get; }

    /// <summary>Reads the request's keys; a key with a value it cannot take is an <see cref="ArgumentException"/> naming the key.</summary>
    public static CallSettings Read(ChatOptions? options, Chain chain, bool streaming)
    {
        if (options?.AdditionalProperties is not { Count: > 0 } properties || !HasOwnKeys(properties))
        {
            return new(chain.Hedging.Mode, chain.Streaming.Mode, -1, hasKeys: false, null, null);
        }

        var streamingMode = streaming ? StreamingModeOf(options, chain.Streaming.Mode) : chain.Streaming.Mode;
        var hedging = HedgingOf(options, chain.Hedging.Mode);
        var preferred = PreferredIndex(properties, chain.Providers);
        IRoutingPolicy? policy = null;
        if (RoutingRequest.Text(properties, FallbackMetadataKeys.RoutingPolicy) is { } name && !chain.Planner.TryGetPolicy(name, out policy))
        {
            throw new ArgumentException(
                $"The request property '{FallbackMetadataKeys.RoutingPolicy}' names '{name}', which is not a routing policy of the chain ({string.Join(", ", chain.Planner.PolicyNames)}).",
                nameof(options));
        }

        TurnBudget? turn = null;
        if (properties.TryGetValue(FallbackMetadataKeys.TurnBudget, out var value))
        {
            turn = value switch
            {
                TurnBudget budget => budget,
                null => null,
                _ => throw new ArgumentException($"The request property '{FallbackMetadataKeys.TurnBudget}' must be a {nameof(TurnBudget)}.", nameof(options)),
            };
        }

        return new(hedging, streamingMode, preferred, hasKeys: true, policy, turn);
    }

    private static bool HasOwnKeys(AdditionalPropertiesDictionary properties)
    {
        foreach (var key in properties.Keys)
        {
            if (key.StartsWith(FallbackMetadataKeys.Prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static HedgingMode HedgingOf(ChatOptions options, HedgingMode chainMode)
    {
        if (!options.AdditionalProperties!.TryGetValue(FallbackMetadataKeys.Hedging, out var value) || value is null)
        {
            return chainMode;
        }

        return value switch
        {
            HedgingMode mode when Enum.IsDefined(mode) => mode,
            string name when Enum.TryParse<HedgingMode>(name, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) => parsed,
            _ => throw new ArgumentException($"The request property '{FallbackMetadataKeys.Hedging}' must be one of {string.Join(", ", Enum.GetNames<HedgingMode>())}; got '{value}'.", nameof(options)),
        };
    }

    private static StreamingMode StreamingModeOf(ChatOptions options, StreamingMode chainMode)
    {
        if (!options.AdditionalProperties!.TryGetValue(FallbackMetadataKeys.StreamingMode, out var value) || value is null)
        {
            return chainMode;
        }

        return value switch
        {
            StreamingMode mode => mode,
            string name when Enum.TryParse<StreamingMode>(name, ignoreCase: true, out var parsed) => parsed,
            _ => throw new ArgumentException($"The request property '{FallbackMetadataKeys.StreamingMode}' must be one of {string.Join(", ", Enum.GetNames<StreamingMode>())}; got '{value}'.", nameof(options)),
        };
    }

    /// <summary>Finds the provider a caller asked to start with (<see cref="FallbackMetadataKeys.PreferProvider"/>).</summary>
    private static int PreferredIndex(AdditionalPropertiesDictionary properties, ChainProvider[] providers)
    {
        if (!properties.TryGetValue(FallbackMetadataKeys.PreferProvider, out var value) || value is not string name)
        {
            return -1;
        }

        for (var i = 0; i < providers.Length; i++)
        {
            if (string.Equals(providers[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
