using SkFallback;

namespace GatewayClient;

/// <summary>
/// The app's second layer: a small chain whose first provider is the gateway (OpenAI-compatible at its URL, a virtual
/// model, a gateway key) and whose next two call providers directly. While the gateway answers, every call goes through
/// it (its own chains, keys and budgets); when it is down, one failed connection opens its breaker and calls go
/// straight to the providers; after the break one probe goes to the gateway again and, when it answers, closes it.
/// </summary>
internal static class FailsafeChain
{
    /// <summary>The gateway provider's name in the chain.</summary>
    public const string Gateway = "gateway";

    /// <summary>The first direct provider's name.</summary>
    public const string DirectOpenAI = "direct-openai";

    /// <summary>The second direct provider's name.</summary>
    public const string DirectAnthropic = "direct-anthropic";

    /// <summary>Builds the chain's options.</summary>
    /// <param name="gateway">The gateway's OpenAI base address (<c>http://host:port/v1/</c>).</param>
    /// <param name="gatewayKey">The gateway key.</param>
    /// <param name="gatewayModel">The virtual model to ask the gateway for.</param>
    /// <param name="openAI">The first direct provider (OpenAI wire): endpoint, key, model.</param>
    /// <param name="anthropic">The second direct provider (Anthropic wire): endpoint, key, model.</param>
    /// <param name="breakDuration">How long the gateway is skipped after it failed.</param>
    /// <returns>The options.</returns>
    public static FallbackOptions Create(Uri gateway, string gatewayKey, string gatewayModel, (Uri? Endpoint, string Key, string Model) openAI,
        (Uri? Endpoint, string Key, string Model) anthropic, TimeSpan breakDuration)
    {
        var options = new FallbackOptions
        {
            MaxRetriesPerProvider = 0,
            AttemptTimeout = TimeSpan.FromSeconds(30),
        };

        // One refused connection is enough to know the gateway is down: open at once, probe after the break.
        options.CircuitBreaker.FailureThreshold = 1;
        options.CircuitBreaker.BreakDuration = breakDuration;
        options.CircuitBreaker.Jitter = 0;
        options.Add(new ProviderOptions { Name = Gateway, Kind = ProviderKinds.OpenAICompatible, Model = gatewayModel, ApiKey = gatewayKey, Endpoint = gateway });
        options.Add(new ProviderOptions { Name = DirectOpenAI, Kind = ProviderKinds.OpenAI, Model = openAI.Model, ApiKey = openAI.Key, Endpoint = openAI.Endpoint });
        options.Add(new ProviderOptions { Name = DirectAnthropic, Kind = ProviderKinds.Anthropic, Model = anthropic.Model, ApiKey = anthropic.Key, Endpoint = anthropic.Endpoint });
        return options;
    }
}
