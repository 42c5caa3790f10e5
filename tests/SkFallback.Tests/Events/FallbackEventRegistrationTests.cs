using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SkFallback.Events;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Events;

/// <summary>The event log through configuration and the service collection.</summary>
public class FallbackEventRegistrationTests
{
    [Fact]
    public async Task AddFallbackChatClient_EventsEnabled_UsesTheRegisteredSink()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SkFallback:Events:Enabled"] = "true",
            ["SkFallback:Events:SampleRate"] = "1",
            ["SkFallback:Events:Sink"] = "Custom",
            ["SkFallback:Events:Tenants:acme:FallbackSampleRate"] = "0.5",
        }).Build();
        var sink = new MemoryEventSink();
        var services = new ServiceCollection();
        services.AddSingleton<IFallbackEventSink>(sink);
        services.AddFallbackChatClient(configuration.GetSection("SkFallback"), o => o.Add("a", "a-2024-01-01", new TestChatClient("a")));
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
        var log = provider.GetRequiredService<FallbackEventLog>();
        await log.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Same(sink, log.Sink);
        Assert.Single(sink.Events);
        Assert.Equal(0.5, log.Sampler.RateOf(FallbackEventOutcome.FellBack, "acme"));
    }
}
