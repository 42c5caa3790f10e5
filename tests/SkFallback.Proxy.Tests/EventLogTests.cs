using OpenAI.Chat;
using SkFallback.Events;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>The gateway writes fallback events: labelled with the virtual model, chain, key id and wire, never a key.</summary>
public sealed class EventLogTests : IClassFixture<EventLogTests.EventsGateway>
{
    private readonly EventsGateway _fixture;

    public EventLogTests(EventsGateway fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FallbackThroughTheGateway_IsWrittenLabelledAndRedacted()
    {
        _fixture.Simulator.Model("sim-a").Then(SimulatedBehavior.ServerError(503));
        var question = $"My key {GatewayFixture.OpenAIUpstreamKey} and {GatewayFixture.Key}; mail ops@example.com";

        var answer = await _fixture.OpenAI("main").CompleteChatAsync([new UserChatMessage(question)], new ChatCompletionOptions(), Ct);
        var log = _fixture.Gateway.Events!;
        await log.FlushAsync(Ct);

        Assert.NotNull(answer.Value);
        var file = Assert.Single(FallbackEventFiles.List(_fixture.Directory));
        var text = await File.ReadAllTextAsync(file, Ct);
        Assert.DoesNotContain(GatewayFixture.Key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFixture.OpenAIUpstreamKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("ops@example.com", text, StringComparison.Ordinal);
        var e = Assert.Single(FallbackEventJson.ReadFile(file, out _), x => x.Outcome == FallbackEventOutcome.FellBack);
        Assert.Equal("acme", e.Tenant);
        Assert.Equal("main", e.Labels![FallbackEventLabels.VirtualModel]);
        Assert.Equal("main", e.Labels[FallbackEventLabels.Chain]);
        Assert.Equal("test", e.Labels[FallbackEventLabels.GatewayKeyId]);
        Assert.Equal("openai", e.Labels[FallbackEventLabels.Wire]);
        Assert.Equal(["primary", "backup"], e.Attempts.Select(a => a.Provider));
        Assert.Equal(503, e.Attempts[0].StatusCode);
        Assert.Equal("backup", e.Provider);
        Assert.Contains("[email]", e.Request[^1].Text, StringComparison.Ordinal);
    }

    public sealed class EventsGateway : GatewayFixture, IAsyncLifetime
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("skf-gw-events-").FullName;

        protected override void Configure(Dictionary<string, string?> config)
        {
            config["SkFallback:Events:Enabled"] = "true";
            config["SkFallback:Events:SampleRate"] = "0";
            config["SkFallback:Events:Directory"] = Directory;
        }

        async ValueTask IAsyncDisposable.DisposeAsync()
        {
            await DisposeAsync();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
