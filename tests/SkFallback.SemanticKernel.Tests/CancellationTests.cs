using System.Diagnostics;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback.Simulator;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>The caller's cancellation ends the call at once and is never a reason to fall back.</summary>
public sealed class CancellationTests
{
    [Fact]
    public async Task GetChatMessageContentsAsync_CallerCancelsWhileProviderHangs_EndsAtOnceWithoutFallingBack()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.Hang());
        var kernel = Chains.Kernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic);
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        using var cancellation = new CancellationTokenSource();

        var call = chat.GetChatMessageContentAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, cancellation.Token);
        await Chains.WaitForRequestsAsync(simulator, 1);
        var clock = Stopwatch.StartNew();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"cancellation took {clock.Elapsed}");
        var request = Assert.Single(simulator.Requests);
        Assert.Equal(Chains.ModelA, request.Model);
        Assert.Empty(simulator.RequestsFor(Chains.ModelB));
    }

    [Fact]
    public async Task GetStreamingChatMessageContentsAsync_CallerCancelsWhileProviderHangs_EndsAtOnceWithoutFallingBack()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.Hang());
        var kernel = Chains.Kernel(simulator, WireFormat.Anthropic, WireFormat.OpenAI);
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        using var cancellation = new CancellationTokenSource();

        var call = Chains.CollectAsync(chat.GetStreamingChatMessageContentsAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, cancellation.Token));
        await Chains.WaitForRequestsAsync(simulator, 1);
        var clock = Stopwatch.StartNew();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"cancellation took {clock.Elapsed}");
        Assert.Single(simulator.Requests);
        Assert.Empty(simulator.RequestsFor(Chains.ModelB));
    }
}
