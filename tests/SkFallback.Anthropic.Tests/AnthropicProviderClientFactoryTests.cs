using Microsoft.Extensions.AI;
using SkFallback.Anthropic;
using SkFallback.Simulator;

namespace SkFallback.Anthropic.Tests;

/// <summary>The Anthropic provider kind, built by its factory and driven over HTTP against the simulator.</summary>
public class AnthropicProviderClientFactoryTests
{
    private const string Model = "claude-3-5-haiku-20241022";

    [Theory]
    [InlineData("Anthropic", true)]
    [InlineData("anthropic", true)]
    [InlineData("OpenAI", false)]
    [InlineData("Custom", false)]
    public void CanCreate_MatchesTheAnthropicKindOnly(string kind, bool expected)
    {
        Assert.Equal(expected, new AnthropicProviderClientFactory().CanCreate(new ProviderOptions { Kind = kind }));
    }

    [Fact]
    public async Task Chain_AnthropicKind_AnswersThroughTheOfficialSdkWithTheConfiguredKey()
    {
        await using var sim = await ProviderSimulator.StartAsync(new SimulatorOptions { RequiredApiKey = "sk-ant-right-key" }, TestContext.Current.CancellationToken);
        var options = new FallbackOptions();
        options.Add(new ProviderOptions { Name = "claude", Kind = ProviderKinds.Anthropic, Model = Model, ApiKey = "sk-ant-right-key", Endpoint = sim.AnthropicEndpoint });
        using var client = new FallbackChatClient(options, [new AnthropicProviderClientFactory()]);

        var response = await client.GetResponseAsync("Hello there", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(sim.ExpectedReply(Model, "Hello there"), response.Text);
        var request = Assert.Single(sim.RequestsFor(Model));
        Assert.Equal(WireFormat.Anthropic, request.Wire);
        Assert.Equal(200, request.StatusCode);

        // The chain asks for an output cap because Anthropic requires one.
        Assert.Equal(AnthropicProviderClientFactory.DefaultMaxOutputTokens, (int)request.Body["max_tokens"]!);
    }

    [Fact]
    public async Task Chain_AnthropicKindStreaming_EndsWithAFinishReason()
    {
        await using var sim = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var options = new FallbackOptions();
        options.Add(new ProviderOptions { Name = "claude", Kind = ProviderKinds.Anthropic, Model = Model, ApiKey = "k", Endpoint = sim.AnthropicEndpoint, MaxOutputTokens = 256 });
        using var client = new FallbackChatClient(options, [new AnthropicProviderClientFactory()]);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("Stream please", cancellationToken: TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }

        var response = updates.ToChatResponse();
        Assert.Equal(sim.ExpectedReply(Model, "Stream please"), response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(256, (int)sim.RequestsFor(Model)[0].Body["max_tokens"]!);
    }

    [Fact]
    public async Task Chain_WrongKey_IsAnAuthenticationFailureWithoutTheKeyInTheException()
    {
        await using var sim = await ProviderSimulator.StartAsync(new SimulatorOptions { RequiredApiKey = "sk-ant-right-key" }, TestContext.Current.CancellationToken);
        var options = new FallbackOptions();
        options.Add(new ProviderOptions { Name = "claude", Kind = ProviderKinds.Anthropic, Model = Model, ApiKey = "sk-ant-wrong-key-0123456789", Endpoint = sim.AnthropicEndpoint });
        using var client = new FallbackChatClient(options, [new AnthropicProviderClientFactory()]);

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(() => client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(FailureKind.Authentication, exception.Attempts[0].Outcome);
        Assert.Equal(401, exception.Attempts[0].StatusCode);
        Assert.DoesNotContain("sk-ant-wrong-key-0123456789", exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Chain_AnthropicKindWithoutFactory_IsFoundFromTheDeployedPackage()
    {
        var options = new FallbackOptions();
        options.Add(new ProviderOptions { Name = "claude", Kind = ProviderKinds.Anthropic, Model = Model, ApiKey = "k" });

        using var client = new FallbackChatClient(options);

        Assert.Equal(["claude"], client.ProviderNames);
    }
}
