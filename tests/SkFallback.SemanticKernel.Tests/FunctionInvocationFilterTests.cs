using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback.Simulator;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>The filter records which provider asked for which function.</summary>
public sealed class FunctionInvocationFilterTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OnAutoFunctionInvocationAsync_ProviderAsksForFunction_RecordsProviderModelAndFunction(bool streaming)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments)).Always(SimulatedBehavior.ServerError(503));
        var kernel = Chains.Kernel(simulator, WireFormat.OpenAI, WireFormat.Anthropic);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        if (streaming)
        {
            await Chains.CollectAsync(chat.GetStreamingChatMessageContentsAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken));
        }
        else
        {
            await chat.GetChatMessageContentAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken);
        }

        var call = Assert.Single(kernel.Filter().Calls);
        Assert.Equal("A", call.Provider);
        Assert.Equal(Chains.ModelA, call.Model);
        Assert.Equal(Chains.PluginName, call.PluginName);
        Assert.Equal(Chains.FunctionName, call.FunctionName);
        Assert.Equal(0, call.Iteration);
        Assert.Equal(0, call.FunctionIndex);
        Assert.False(string.IsNullOrEmpty(call.CallId));
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, false)]
    [InlineData(WireFormat.OpenAI, true)]
    [InlineData(WireFormat.Anthropic, false)]
    [InlineData(WireFormat.Anthropic, true)]
    public async Task OnAutoFunctionInvocationAsync_AnyFilter_SeesAnsweringProviderInChatMessageContentMetadata(WireFormat wire, bool streaming)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments));
        var kernel = Chains.Kernel(simulator, wire, wire);
        var observer = new MetadataObserver();
        kernel.AutoFunctionInvocationFilters.Add(observer);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        if (streaming)
        {
            await Chains.CollectAsync(chat.GetStreamingChatMessageContentsAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken));
        }
        else
        {
            await chat.GetChatMessageContentAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken);
        }

        var metadata = Assert.Single(observer.Seen);
        Assert.Equal("A", Chains.Provider(metadata));
        Assert.Equal(Chains.ModelA, metadata![FallbackMetadataKeys.Model]);
        Assert.Equal("A", Assert.Single(Chains.Attempts(metadata)).Provider);
    }

    [Fact]
    public async Task OnAutoFunctionInvocationAsync_FallbackProviderAsksForFunction_RecordsFallbackProvider()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Always(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(30)));
        simulator.Model(Chains.ModelB).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments));
        var kernel = Chains.Kernel(simulator, WireFormat.Anthropic, WireFormat.OpenAI);
        var chat = kernel.GetRequiredService<IChatCompletionService>();

        await chat.GetChatMessageContentAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken);

        var call = Assert.Single(kernel.Filter().Calls);
        Assert.Equal("B", call.Provider);
        Assert.Equal(Chains.ModelB, call.Model);
    }

    [Fact]
    public async Task OnAutoFunctionInvocationAsync_ProviderAsksForFunction_LogsProviderAndFunction()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments));
        var logs = new RecordingLoggerProvider();
        var builder = Kernel.CreateBuilder();
        builder.Services.AddLogging(logging => logging.AddProvider(logs));
        builder.AddFallbackChatCompletion(options =>
        {
            Chains.Fast(options);
            options.Add(Chains.Provider(simulator, "A", WireFormat.OpenAI, Chains.ModelA));
        });
        builder.Plugins.AddFromObject(new WeatherPlugin(), Chains.PluginName);
        var kernel = builder.Build();

        await kernel.GetRequiredService<IChatCompletionService>()
            .GetChatMessageContentAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken);

        var entry = Assert.Single(logs.Entries, e => e.Category == typeof(FallbackFunctionInvocationFilter).FullName && e.EventId.Id == 101);
        Assert.Equal($"Provider A ({Chains.ModelA}) asked for function {Chains.PluginName}.{Chains.FunctionName} in round trip 0", entry.Message);
    }

    [Fact]
    public async Task Clear_AfterCalls_ForgetsThem()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        simulator.Model(Chains.ModelA).Then(SimulatedBehavior.ToolCall(Chains.ToolName, Chains.ToolArguments));
        var kernel = Chains.Kernel(simulator, WireFormat.OpenAI, WireFormat.OpenAI);
        await kernel.GetRequiredService<IChatCompletionService>()
            .GetChatMessageContentAsync(Chains.Ask(), Chains.AutoFunctions(), kernel, TestContext.Current.CancellationToken);
        Assert.NotEmpty(kernel.Filter().Calls);

        kernel.Filter().Clear();

        Assert.Empty(kernel.Filter().Calls);
    }

    private sealed class MetadataObserver : IAutoFunctionInvocationFilter
    {
        public List<IReadOnlyDictionary<string, object?>?> Seen { get; } = [];

        public Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
        {
            Seen.Add(context.ChatMessageContent.Metadata);
            return next(context);
        }
    }
}
