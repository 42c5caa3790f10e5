using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback.Simulator;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>Kernels over fallback chains of simulator providers, with short timeouts so tests stay fast.</summary>
internal static class Chains
{
    public const string ModelA = "sim-a-2024-05-01";
    public const string ModelB = "sim-b-2024-05-01";
    public const string PluginName = "Weather";
    public const string FunctionName = "get_weather";

    /// <summary>The tool name the model sees for <see cref="WeatherPlugin.GetWeather"/>.</summary>
    public const string ToolName = PluginName + "_" + FunctionName;

    public const string ToolArguments = """{"city":"Paris"}""";

    public static ProviderOptions Provider(ProviderSimulator simulator, string name, WireFormat wire, string model) => new()
    {
        Name = name,
        Kind = wire == WireFormat.OpenAI ? ProviderKinds.OpenAI : ProviderKinds.Anthropic,
        Model = model,
        ApiKey = "test",
        Endpoint = wire == WireFormat.OpenAI ? simulator.OpenAIEndpoint : simulator.AnthropicEndpoint,
    };

    public static void Fast(FallbackOptions options)
    {
        options.AttemptTimeout = TimeSpan.FromSeconds(5);
        options.FirstTokenTimeout = TimeSpan.FromSeconds(5);
        options.Deadline = TimeSpan.FromSeconds(20);
        options.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        options.RetryMaxDelay = TimeSpan.FromMilliseconds(20);
    }

    /// <summary>A kernel whose chat service is A then B, with the weather plugin.</summary>
    public static Kernel Kernel(ProviderSimulator simulator, WireFormat wireA, WireFormat wireB, WeatherPlugin? plugin = null)
    {
        var builder = Microsoft.SemanticKernel.Kernel.CreateBuilder();
        builder.AddFallbackChatCompletion(options =>
        {
            Fast(options);
            options.Add(Provider(simulator, "A", wireA, ModelA));
            options.Add(Provider(simulator, "B", wireB, ModelB));
        });
        builder.Plugins.AddFromObject(plugin ?? new WeatherPlugin(), PluginName);
        return builder.Build();
    }

    public static PromptExecutionSettings AutoFunctions() => new() { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

    public static ChatHistory Ask(string question = "What is the weather in Paris?")
    {
        var history = new ChatHistory();
        history.AddUserMessage(question);
        return history;
    }

    public static FallbackFunctionInvocationFilter Filter(this Kernel kernel) =>
        kernel.Services.GetRequiredService<FallbackFunctionInvocationFilter>();

    public static IReadOnlyList<FallbackAttempt> Attempts(IReadOnlyDictionary<string, object?>? metadata)
    {
        Assert.NotNull(metadata);
        Assert.True(metadata.TryGetValue(FallbackMetadataKeys.Attempts, out var value), "the metadata has no attempts");
        return Assert.IsAssignableFrom<IReadOnlyList<FallbackAttempt>>(value);
    }

    public static string? Provider(IReadOnlyDictionary<string, object?>? metadata) =>
        metadata is not null && metadata.TryGetValue(FallbackMetadataKeys.Provider, out var value) ? value as string : null;

    /// <summary>The metadata of the last streamed chunk that says which provider answered.</summary>
    public static IReadOnlyDictionary<string, object?> LastAnnotated(IReadOnlyList<StreamingChatMessageContent> chunks)
    {
        for (var i = chunks.Count - 1; i >= 0; i--)
        {
            if (Provider(chunks[i].Metadata) is not null)
            {
                return chunks[i].Metadata!;
            }
        }

        Assert.Fail("No streamed chunk says which provider answered.");
        return null!;
    }

    public static async Task<List<StreamingChatMessageContent>> CollectAsync(IAsyncEnumerable<StreamingChatMessageContent> stream)
    {
        var chunks = new List<StreamingChatMessageContent>();
        await foreach (var chunk in stream)
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    public static string Text(IEnumerable<StreamingChatMessageContent> chunks) => string.Concat(chunks.Select(c => c.Content));

    /// <summary>Waits until the simulator has received <paramref name="count"/> requests (polling; bounded).</summary>
    public static async Task WaitForRequestsAsync(ProviderSimulator simulator, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (simulator.Requests.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the simulator did not receive {count} requests in time");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
