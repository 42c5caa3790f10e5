using Microsoft.Extensions.AI;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests;

/// <summary>Builds chains of fake providers for tests.</summary>
internal static class Chain
{
    public static FallbackOptions Options(params TestChatClient[] clients)
    {
        var options = new FallbackOptions { RetryBaseDelay = TimeSpan.Zero };
        foreach (var client in clients)
        {
            options.Add(new ProviderOptions { Name = client.Name, Kind = ProviderKinds.Custom, Model = client.Name + "-2024-01-01", Client = client, RequireFinishReason = true });
        }

        return options;
    }

    public static FallbackChatClient Of(params TestChatClient[] clients) => new(Options(clients));

    public static IReadOnlyList<FallbackAttempt> AttemptsOf(ChatResponse response) =>
        (IReadOnlyList<FallbackAttempt>)response.AdditionalProperties![FallbackMetadataKeys.Attempts]!;

    public static HttpRequestException Status(int status) =>
        new($"Response status code does not indicate success: {status}.", null, (System.Net.HttpStatusCode)status);
}
