using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Events;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Events;

/// <summary>The bounded queue: a stuck sink never blocks or fails a call; what a full queue drops is counted.</summary>
public class FallbackEventQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StuckSink_FullQueueDropsAndCounts_CallsStillAnswerAtOnce()
    {
        var sink = new MemoryEventSink { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var log = new FallbackEventLog(new FallbackEventOptions { Enabled = true, SampleRate = 1, QueueCapacity = 8 }, sink);
        using var client = new FallbackChatClient(Chain.Options(new TestChatClient("a")), eventLog: log);
        long droppedCounted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FallbackTelemetry.SourceName && instrument.Name == FallbackTelemetry.EventsDroppedInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref droppedCounted, value));
        listener.Start();

        var completedAtOnce = 0;
        for (var i = 0; i < 200; i++)
        {
            // The healthy path answers synchronously: a queue that blocked would show here as a pending task.
            var task = client.GetResponseAsync("hi", cancellationToken: Ct);
            completedAtOnce += task.IsCompletedSuccessfully ? 1 : 0;
            await task;
        }

        Assert.Equal(200, completedAtOnce);

        // At most the queue's capacity waits, and one batch (of up to 8) is held by the stuck sink.
        Assert.InRange(log.Dropped, 200 - 8 - 8, 200 - 8);
        Assert.Equal(log.Dropped, Interlocked.Read(ref droppedCounted));

        sink.Gate.SetResult();
        await log.FlushAsync(Ct);
        Assert.Equal(200 - log.Dropped, log.Written);
        Assert.Equal(log.Written, sink.Events.Count);
    }

    [Fact]
    public async Task ThrowingSink_CallsUnaffected_EventsCountedAsLost()
    {
        await using var log = new FallbackEventLog(new FallbackEventOptions { Enabled = true, SampleRate = 1 }, new ThrowingSink());
        using var client = new FallbackChatClient(Chain.Options(new TestChatClient("a")), eventLog: log);

        for (var i = 0; i < 20; i++)
        {
            var response = await client.GetResponseAsync("hi", cancellationToken: Ct);
            Assert.Equal("answer from a", response.Text);
        }

        await log.FlushAsync(Ct);
        Assert.Equal(20, log.Lost);
        Assert.Equal(0, log.Written);
    }

    [Fact]
    public async Task Dispose_WritesWhatIsQueued()
    {
        var sink = new MemoryEventSink();
        var log = new FallbackEventLog(new FallbackEventOptions { Enabled = true, SampleRate = 1 }, sink);
        using (var client = new FallbackChatClient(Chain.Options(new TestChatClient("a")), eventLog: log))
        {
            for (var i = 0; i < 50; i++)
            {
                await client.GetResponseAsync("hi", cancellationToken: Ct);
            }
        }

        await log.DisposeAsync();

        Assert.Equal(50, sink.Events.Count);
    }

    [Fact]
    public async Task EnabledInOptions_ClientMakesItsOwnFileLog()
    {
        var directory = Directory.CreateTempSubdirectory("skf-events-").FullName;
        try
        {
            var options = Chain.Options(new TestChatClient("a"));
            options.Events.Enabled = true;
            options.Events.SampleRate = 1;
            options.Events.Directory = directory;
            using (var client = new FallbackChatClient(options))
            {
                await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: Ct);
            }

            var file = Assert.Single(FallbackEventFiles.List(directory));
            var e = Assert.Single(FallbackEventJson.ReadFile(file, out var malformed));
            Assert.Equal(0, malformed);
            Assert.Equal(FallbackEventOutcome.Answered, e.Outcome);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class ThrowingSink : IFallbackEventSink
    {
        public ValueTask WriteAsync(IReadOnlyList<FallbackEvent> events, CancellationToken cancellationToken) =>
            throw new IOException("disk full");
    }
}
