using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Services;
using SkFallback.Simulator;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>Fallback without tools through the Semantic Kernel service.</summary>
public sealed class PlainFallbackTests
{
    private const string Question = "Say something.";

    [Fact]
    public async Task GetChatMessageContentsAsync_FirstProviderRateLimited_SecondAnswersAndMetadataListsBothAttempts()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(30)));
        var kernel = Chains.Kernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        var answer = await chat.GetChatMessageContentAsync(Chains.Ask(Question), kernel: kernel, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(simulator.ExpectedReply(Chains.ModelB, Question), answer.Content);
        Assert.Equal("B", Chains.Provider(answer.Metadata));
        Assert.Equal(Chains.ModelB, answer.Metadata![FallbackMetadataKeys.Model]);
        var attempts = Chains.Attempts(answer.Metadata);
        Assert.Collection(
            attempts,
            a =>
            {
                Assert.Equal("A", a.Provider);
                Assert.Equal(FailureKind.RateLimited, a.Outcome);
                Assert.Equal(429, a.StatusCode);
            },
            b =>
            {
                Assert.Equal("B", b.Provider);
                Assert.True(b.Succeeded);
            });
        Assert.Single(simulator.RequestsFor(Chains.ModelA));
        Assert.Single(simulator.RequestsFor(Chains.ModelB));
    }

    [Fact]
    public async Task GetStreamingChatMessageContentsAsync_FirstProviderRateLimited_SecondStreamsAndMetadataListsBothAttempts()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(30)));
        var kernel = Chains.Kernel(simulator, WireFormat.Anthropic, WireFormat.OpenAI);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        var chunks = await Chains.CollectAsync(chat.GetStreamingChatMessageContentsAsync(Chains.Ask(Question), kernel: kernel, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(simulator.ExpectedReply(Chains.ModelB, Question), Chains.Text(chunks));
        Assert.Equal("B", Chains.Provider(chunks[0].Metadata));
        var attempts = Chains.Attempts(Chains.LastAnnotated(chunks));
        Assert.Equal(["A", "B"], attempts.Select(a => a.Provider));
        Assert.Equal(FailureKind.RateLimited, attempts[0].Outcome);
        Assert.True(attempts[1].Succeeded);
    }

    [Fact]
    public async Task Attributes_Chain_NameFirstModelAndProviders()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var kernel = Chains.Kernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic);

        var chat = kernel.GetRequiredService<IChatCompletionService>();

        Assert.IsType<FallbackChatCompletionService>(chat);
        Assert.Equal(Chains.ModelA, chat.GetModelId());
        Assert.Equal("A,B", chat.Attributes[FallbackChatCompletionService.ProvidersKey]);
    }

    [Fact]
    public async Task InvokePromptAsync_KernelWithFallbackService_AnswersThroughChain()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.ServerError(500));
        var kernel = Chains.Kernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic);

        var result = await kernel.InvokePromptAsync(Question, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(simulator.ExpectedReply(Chains.ModelB, Question), result.ToString());
    }

    [Fact]
    public async Task Health_AfterRateLimit_ShowsCooldownAndLastFailure()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(30)));
        var kernel = Chains.Kernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic);
        var chat = Assert.IsType<FallbackChatCompletionService>(kernel.GetRequiredService<IChatCompletionService>());

        await chat.GetChatMessageContentAsync(Chains.Ask(Question), kernel: kernel, cancellationToken: TestContext.Current.CancellationToken);
        var health = chat.Health!.GetSnapshot();

        Assert.Equal(["A", "B"], health.Select(h => h.Provider));
        Assert.Equal(FailureKind.RateLimited, health[0].LastFailure);
        Assert.NotNull(health[0].CoolingDownUntil);
        Assert.Equal(0, health[1].ErrorRate);
    }
}
