using Microsoft.Extensions.Time.Testing;
using SkFallback.Cli.Events;
using SkFallback.Events;
using static SkFallback.Cli.Tests.Events.EventFiles;

namespace SkFallback.Cli.Tests.Events;

/// <summary><c>events tail</c>: the last events, then new ones as the log grows, across rotation and half-written lines.</summary>
public sealed class EventsTailTests
{
    [Fact]
    public async Task Tail_NoFollow_PrintsTheLastMatchingEvents()
    {
        using var folder = new TempFolder();
        var dir = Sample(folder);

        var result = await CliHarness.RunAsync("events", "tail", "--dir", dir, "--last", "2", "--no-follow", "--outcome", "fell_back", "--json");

        Assert.True(result.Exit == ExitCodes.Success, result.ToString());
        Assert.Equal(["05", "07"], result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => FallbackEventJson.Parse(l)!.Id[^2..]));
    }

    [Fact]
    public void ReadNew_HalfWrittenLineAndRotation_YieldsEachEventOnceWhenComplete()
    {
        using var folder = new TempFolder();
        var dir = folder.File("events");
        var first = Write(dir, 1, [Event(1, "a", "A.", FallbackEventOutcome.Answered, attempts: Attempt("primary"))]);
        var tail = new EventTail(dir, FallbackEventFiles.DefaultPrefix);
        Assert.Single(tail.Start(10));

        var line = FallbackEventJson.Serialize(Event(2, "b", "B.", FallbackEventOutcome.Answered, attempts: Attempt("primary")));
        File.AppendAllText(first, line[..20]);
        Assert.Empty(tail.ReadNew());
        File.AppendAllText(first, line[20..] + "\n");
        var second = tail.ReadNew();
        Write(dir, 2, [Event(3, "c", "C.", FallbackEventOutcome.FellBack, attempts: [Attempt("primary", FailureKind.ServerError, 503), Attempt("backup")])]);
        var third = tail.ReadNew();

        Assert.Equal("000002", Assert.Single(second).Id[^6..]);
        Assert.Equal("000003", Assert.Single(third).Id[^6..]);
        Assert.Empty(tail.ReadNew());
        Assert.Equal(0, tail.Malformed);
    }

    [Fact]
    public async Task Tail_Follow_PrintsNewEventsOnTheClockUntilCancelled()
    {
        using var folder = new TempFolder();
        var dir = folder.File("events");
        var file = Write(dir, 1, [Event(1, "a", "A.", FallbackEventOutcome.Answered, attempts: Attempt("primary"))]);
        var clock = new FakeTimeProvider(T0);
        using var output = new WatchedWriter();
        using var error = new StringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var environment = CliEnvironment.Over(output, error, clock);

        var running = CliApp.RunAsync(["events", "tail", "--dir", dir, "--interval-ms", "1000", "--provider", "backup"], environment, stop.Token);
        File.AppendAllText(file, FallbackEventJson.Serialize(Event(2, "b", "B.", FallbackEventOutcome.FellBack, attempts: [Attempt("primary", FailureKind.Stalled), Attempt("backup")])) + "\n");
        File.AppendAllText(file, FallbackEventJson.Serialize(Event(3, "c", "C.", FallbackEventOutcome.Answered, attempts: Attempt("primary"))) + "\n");
        await output.WaitUntilAsync(() => clock.Advance(TimeSpan.FromSeconds(1)), "primary Stalled -> backup ok", stop.Token);
        stop.Cancel();
        var exit = await running;

        Assert.Equal(ExitCodes.Success, exit);
        Assert.DoesNotContain("a (", output.ToString(), StringComparison.Ordinal);
        Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>A string writer a test can wait on: it runs a step (a clock tick) until the text shows, a bounded number of times.</summary>
    private sealed class WatchedWriter : StringWriter
    {
        private readonly SemaphoreSlim _written = new(0);

        public override void Write(char value)
        {
            base.Write(value);
            _written.Release();
        }

        public override void Write(string? value)
        {
            base.Write(value);
            _written.Release();
        }

        public override void Write(char[] buffer, int index, int count)
        {
            base.Write(buffer, index, count);
            _written.Release();
        }

        public async Task WaitUntilAsync(Action step, string text, CancellationToken cancellationToken)
        {
            for (var i = 0; i < 200 && !ToString().Contains(text, StringComparison.Ordinal); i++)
            {
                step();
                // Give the command's loop a chance to run after the tick; a write ends the wait at once.
                await _written.WaitAsync(TimeSpan.FromMilliseconds(50), cancellationToken);
            }

            Assert.Contains(text, ToString(), StringComparison.Ordinal);
        }

        protected override void Dispose(bool disposing)
        {
            _written.Dispose();
            base.Dispose(disposing);
        }
    }
}
