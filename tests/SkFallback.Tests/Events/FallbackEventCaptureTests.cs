using System.Net.Http;
using Microsoft.Extensions.AI;
using SkFallback.Events;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Events;

/// <summary>What an event holds: the request and the answer, every attempt with reason, status, timing, cost, partial output and seam.</summary>
public class FallbackEventCaptureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static FallbackEventLog Log(MemoryEventSink sink) =>
        new(new FallbackEventOptions { Enabled = true, SampleRate = 1 }, sink);

    [Fact]
    public async Task FellBack_EventHasRequestAnswerAndEveryAttempt()
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink);
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => Task.FromException<ChatResponse>(Chain.Status(404)) };
        using var client = new FallbackChatClient(Chain.Options(a, new TestChatClient("b")), eventLog: log);
        var labels = new Dictionary<string, string> { [FallbackEventLabels.VirtualModel] = "smart" };
        var options = new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.Tenant] = "acme", [FallbackMetadataKeys.EventLabels] = labels } };

        await client.GetResponseAsync([new(ChatRole.System, "Be brief."), new(ChatRole.User, "Name a river.")], options, Ct);
        await log.FlushAsync(Ct);

        var e = Assert.Single(sink.Events);
        Assert.Equal(FallbackEventOutcome.FellBack, e.Outcome);
        Assert.Equal("acme", e.Tenant);
        Assert.Equal("smart", e.Labels![FallbackEventLabels.VirtualModel]);
        Assert.Equal(["system", "user"], e.Request.Select(m => m.Role));
        Assert.Equal("Name a river.", e.Request[1].Text);
        Assert.Equal("answer from b", e.Response!.Text);
        Assert.Equal("stop", e.Response.FinishReason);
        Assert.Equal("b", e.Provider);
        Assert.Equal(32, e.Id.Length);
        Assert.Equal(2, e.Attempts.Count);
        Assert.Equal((FailureKind.NotFound, 404), (e.Attempts[0].Reason, e.Attempts[0].StatusCode));
        Assert.Equal(0, e.Attempts[0].StartMs);
        Assert.NotNull(e.Attempts[1].StartMs);
        Assert.Equal(FailureKind.None, e.Attempts[1].Reason);
        Assert.Contains("404", e.Attempts[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exhausted_EventHasTheErrorAndNoAnswer()
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink);
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => Task.FromException<ChatResponse>(Chain.Status(503)) };
        using var client = new FallbackChatClient(Chain.Options(a), eventLog: log);

        await Assert.ThrowsAsync<FallbackExhaustedException>(() => client.GetResponseAsync("hi", cancellationToken: Ct));
        await log.FlushAsync(Ct);

        var e = Assert.Single(sink.Events);
        Assert.Equal(FallbackEventOutcome.Exhausted, e.Outcome);
        Assert.Null(e.Response);
        Assert.Equal(nameof(FallbackExhaustedException), e.Error!.Type);
        Assert.All(e.Attempts, x => Assert.Equal(FailureKind.ServerError, x.Reason));
        Assert.Equal([0, 1], e.Attempts.Select(x => x.Retry));
    }

    [Fact]
    public async Task RefusedBeforeDispatch_IsLoggedAsRefused()
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink);
        var a = new TestChatClient("a");
        var options = new FallbackOptions();
        options.Add(new ProviderOptions { Name = "a", Kind = ProviderKinds.Custom, Model = "gpt-4o-2024-08-06", Client = a });
        using var client = new FallbackChatClient(options, eventLog: log);
        var request = new ChatOptions { AdditionalProperties = new() { [FallbackMetadataKeys.MaxCostUsd] = 0.0000001m } };

        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", request, Ct));
        await Assert.ThrowsAsync<BudgetExceededException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("hi", request, Ct))
            {
            }
        });
        await log.FlushAsync(Ct);

        Assert.Equal(0, a.Calls);
        Assert.Equal([false, true], sink.Events.Select(e => e.Streaming));
        Assert.All(sink.Events, e => Assert.Equal(FallbackEventOutcome.Refused, e.Outcome));
    }

    [Fact]
    public async Task StreamBrokenAfterCommit_ContinuedEventHasPartialOutputAndSeam()
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink);
        var words = "one two three four five six seven eight nine ten eleven twelve".Split(' ');
        var a = new TestChatClient("a")
        {
            OnStreaming = (_, _, ct) => TestChatClient.Words(ct, words, finish: false, throwAfter: new HttpIOException(HttpRequestError.ResponseEnded, "cut")),
        };
        var b = new TestChatClient("b") { OnStreaming = (_, _, ct) => TestChatClient.Words(ct, ["thirteen", "fourteen."]) };
        using var client = new FallbackChatClient(Chain.Options(a, b), eventLog: log);

        var text = string.Concat(await ToListAsync(client.GetStreamingResponseAsync("count", cancellationToken: Ct)));
        await log.FlushAsync(Ct);

        var e = Assert.Single(sink.Events);
        Assert.Equal(FallbackEventOutcome.Continued, e.Outcome);
        Assert.True(e.Streaming);
        Assert.Equal(text, e.Response!.Text);
        var broken = e.Attempts[0];
        Assert.Equal(FailureKind.ConnectionFailure, broken.Reason);
        Assert.Equal(string.Join(' ', words), broken.PartialOutput);
        Assert.NotNull(broken.FirstChunkMs);
        var continued = e.Attempts[^1];
        Assert.Equal("a", continued.ContinuedFrom);
        Assert.Equal(string.Join(' ', words).Length, continued.SeamOffset);
        Assert.NotNull(continued.ContinuationMode);
    }

    [Fact]
    public async Task StreamFailedBeforeCommit_HeldTextIsThePartialOutput()
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink);
        var a = new TestChatClient("a") { OnStreaming = (_, _, ct) => TestChatClient.Words(ct, ["half", "an"], finish: false) };
        using var client = new FallbackChatClient(Chain.Options(a, new TestChatClient("b")), eventLog: log);

        await ToListAsync(client.GetStreamingResponseAsync("hi", cancellationToken: Ct));
        await log.FlushAsync(Ct);

        var e = Assert.Single(sink.Events);
        Assert.Equal(FallbackEventOutcome.FellBack, e.Outcome);
        Assert.Equal(FailureKind.TruncatedStream, e.Attempts[0].Reason);
        Assert.Equal("half an", e.Attempts[0].PartialOutput);
        Assert.Equal("answer from b", e.Response!.Text);
    }

    [Fact]
    public async Task HealthyStream_AtRateOne_LoggedAsAnsweredWithFirstChunk()
    {
        var sink = new MemoryEventSink();
        await using var log = Log(sink);
        using var client = new FallbackChatClient(Chain.Options(new TestChatClient("a")), eventLog: log);

        await ToListAsync(client.GetStreamingResponseAsync("hi", cancellationToken: Ct));
        await client.GetResponseAsync("hi", cancellationToken: Ct);
        await log.FlushAsync(Ct);

        Assert.Equal(2, sink.Events.Count);
        Assert.All(sink.Events, e => Assert.Equal(FallbackEventOutcome.Answered, e.Outcome));
        var stream = sink.Events.First();
        Assert.Equal("answer from a", stream.Response!.Text);
        Assert.NotNull(Assert.Single(stream.Attempts).FirstChunkMs);
    }

    private static async Task<List<string>> ToListAsync(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        var list = new List<string>();
        await foreach (var update in updates)
        {
            list.Add(update.Text);
        }

        return list;
    }
}
