using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Caching;
using SkFallback.Diagnostics;
using SkFallback.Simulator;

namespace SkFallback.OpenTelemetry.Tests;

/// <summary>The response cache's lookup span: a miss is followed by the chain's call and its attempt; a hit makes no attempt at all.</summary>
[Collection(nameof(AttemptSpanTests))]
public sealed class CacheSpanTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _fixture;

    public CacheSpanTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CachedAnswer_LookupSpanSaysHit_AndNoAttemptIsTraced(bool streaming)
    {
        var model = $"otel-cache-{(streaming ? "s" : "r")}";
        using var capture = new OtelCapture();
        var options = new FallbackOptions();
        options.Add(_fixture.Provider("only", model, WireFormat.OpenAI));
        using var chain = new FallbackChatClient(options);
        using var cache = new SemanticCacheChatClient(chain);
        var deterministic = new ChatOptions { Temperature = 0 };
        var ct = TestContext.Current.CancellationToken;
        using var root = new ActivitySource("otel-cache-test");
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == "otel-cache-test", Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(listener);

        ActivityTraceId first, second;
        using (var call = root.StartActivity("first"))
        {
            first = call!.TraceId;
            await Ask(cache, streaming, deterministic, ct);
        }

        using (var call = root.StartActivity("second"))
        {
            second = call!.TraceId;
            await Ask(cache, streaming, deterministic, ct);
        }

        var spans = capture.Spans;
        var missed = spans.Where(s => s.TraceId == first).ToList();
        var lookup = Assert.Single(missed, s => s.DisplayName == "skfallback.cache.lookup");
        Assert.Equal(false, lookup.GetTagItem("skfallback.cache.hit"));
        Assert.Single(missed, s => s.Kind == ActivityKind.Client && (string?)s.GetTagItem("gen_ai.request.model") == model);
        var hit = spans.Where(s => s.TraceId == second).ToList();
        var served = Assert.Single(hit);
        Assert.Equal("skfallback.cache.lookup", served.DisplayName);
        Assert.Equal(FallbackTelemetry.SourceName, served.Source.Name);
        Assert.Equal(true, served.GetTagItem("skfallback.cache.hit"));
        Assert.Equal("exact", served.GetTagItem("skfallback.cache.layer"));
    }

    private static async Task Ask(IChatClient client, bool streaming, ChatOptions options, CancellationToken ct)
    {
        if (!streaming)
        {
            await client.GetResponseAsync("Name a colour.", options, ct);
            return;
        }

        await foreach (var _ in client.GetStreamingResponseAsync("Name a colour.", options, ct))
        {
        }
    }
}
