using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests;

/// <summary>Timeouts, deadline, backoff and cooldowns, on a fake clock.</summary>
public class FallbackTimingTests
{
    private static Task<ChatResponse> Hang(CancellationToken ct) =>
        Task.Delay(Timeout.InfiniteTimeSpan, ct).ContinueWith<ChatResponse>(_ => throw new OperationCanceledException(ct), TaskScheduler.Default);

    /// <summary>Advances the fake clock in small steps until the task completes, up to a bound.</summary>
    private static async Task<T> Drive<T>(FakeTimeProvider time, Task<T> task, TimeSpan step, int maxSteps = 1000)
    {
        for (var i = 0; i < maxSteps && !task.IsCompleted; i++)
        {
            await Task.Yield();
            time.Advance(step);
            await Task.WhenAny(task, Task.Delay(1, TestContext.Current.CancellationToken));
        }

        return await task;
    }

    [Fact]
    public async Task AttemptTimeout_HangingProvider_FallsBackAfterTimeout()
    {
        var time = new FakeTimeProvider();
        var a = new TestChatClient("a") { OnResponse = (_, _, ct) => Hang(ct) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.AttemptTimeout = TimeSpan.FromSeconds(2);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options, timeProvider: time);

        var task = client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
        Assert.False(task.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1999));
        await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.Equal(0, b.Calls);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var response = await task;

        var attempts = Chain.AttemptsOf(response);
        Assert.Equal(FailureKind.Timeout, attempts[0].Outcome);
        Assert.Equal(TimeSpan.FromSeconds(2), attempts[0].Elapsed);
        Assert.Equal("answer from b", response.Text);
    }

    [Fact]
    public async Task Deadline_PassesDuringAttempt_StopsTheChainWithoutTryingOthers()
    {
        var time = new FakeTimeProvider();
        var a = new TestChatClient("a") { OnResponse = (_, _, ct) => Hang(ct) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.AttemptTimeout = TimeSpan.FromSeconds(30);
        options.Deadline = TimeSpan.FromSeconds(5);
        using var client = new FallbackChatClient(options, timeProvider: time);

        var task = client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(5));

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(() => task);
        Assert.Equal(FailureKind.DeadlineExceeded, exception.Attempts[0].Outcome);
        Assert.Equal(0, b.Calls);
        Assert.Contains("deadline", exception.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Deadline_BoundsEachAttemptTimeout()
    {
        var time = new FakeTimeProvider();
        var a = new TestChatClient("a") { OnResponse = (_, _, ct) => Hang(ct) };
        var b = new TestChatClient("b") { OnResponse = (_, _, ct) => Hang(ct) };
        var options = Chain.Options(a, b);
        options.AttemptTimeout = TimeSpan.FromSeconds(3);
        options.Deadline = TimeSpan.FromSeconds(4);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options, timeProvider: time);

        var task = client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(() => Drive(time, task, TimeSpan.FromMilliseconds(250)));

        // a timed out at 3 s; b had only the 1 s left before the deadline.
        Assert.Equal(FailureKind.Timeout, exception.Attempts[0].Outcome);
        Assert.Equal(FailureKind.DeadlineExceeded, exception.Attempts[1].Outcome);
        Assert.Equal(TimeSpan.FromSeconds(1), exception.Attempts[1].Elapsed);
    }

    [Fact]
    public async Task FirstTokenTimeout_SilentStream_SwitchesToNextProvider()
    {
        var time = new FakeTimeProvider();
        var a = new TestChatClient("a") { OnStreaming = (_, _, ct) => TestChatClient.Hang(ct) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.FirstTokenTimeout = TimeSpan.FromSeconds(1);
        options.AttemptTimeout = TimeSpan.FromSeconds(30);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options, timeProvider: time);

        var task = Task.Run(async () =>
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var u in client.GetStreamingResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken))
            {
                updates.Add(u);
            }

            return updates;
        }, TestContext.Current.CancellationToken);
        var updates = await Drive(time, task, TimeSpan.FromMilliseconds(100));
        var response = updates.ToChatResponse();

        Assert.Equal("answer from b", response.Text);
        var attempts = (IReadOnlyList<FallbackAttempt>)response.AdditionalProperties![FallbackMetadataKeys.Attempts]!;
        Assert.Equal(FailureKind.FirstTokenTimeout, attempts[0].Outcome);
    }

    [Fact]
    public async Task RateLimit_ProviderIsSkippedUntilCooldownPasses()
    {
        var time = new FakeTimeProvider();
        var limited = true;
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => limited ? throw Chain.Status(429) : Task.FromResult(TestChatClient.Answer("a")) };
        var b = new TestChatClient("b");
        var options = Chain.Options(a, b);
        options.DefaultRateLimitCooldown = TimeSpan.FromSeconds(10);
        using var client = new FallbackChatClient(options, timeProvider: time);
        var ct = TestContext.Current.CancellationToken;

        await client.GetResponseAsync("1", cancellationToken: ct);
        limited = false;
        time.Advance(TimeSpan.FromSeconds(9));
        var during = await client.GetResponseAsync("2", cancellationToken: ct);
        time.Advance(TimeSpan.FromSeconds(1));
        var after = await client.GetResponseAsync("3", cancellationToken: ct);

        Assert.Equal(1 + 1, a.Calls);
        var skipped = Chain.AttemptsOf(during)[0];
        Assert.True(skipped.Skipped);
        Assert.Equal(FailureKind.CoolingDown, skipped.Outcome);
        Assert.Equal("b", during.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Assert.Equal("a", after.AdditionalProperties![FallbackMetadataKeys.Provider]);
    }

    [Fact]
    public async Task Retry_WaitsJitteredBackoffOnTheFakeClock()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => ++calls == 1 ? throw Chain.Status(503) : Task.FromResult(TestChatClient.Answer("a")) };
        var options = Chain.Options(a);
        options.RetryBaseDelay = TimeSpan.FromSeconds(1);
        using var client = new FallbackChatClient(options, timeProvider: time);

        var task = client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromMilliseconds(499));
        await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.Equal(1, a.Calls);
        var response = await Drive(time, task, TimeSpan.FromMilliseconds(50));

        Assert.Equal(2, a.Calls);
        Assert.Equal("answer from a", response.Text);
    }

    [Theory]
    [InlineData(0, 1000, 0.0, 500)]
    [InlineData(0, 1000, 1.0, 1500)]
    [InlineData(2, 1000, 0.5, 4000)]
    [InlineData(10, 1000, 0.5, 5000)]
    public void RetryBackoff_DoublesJittersAndCaps(int retry, int baseMs, double random, int expectedMs)
    {
        var delay = Routing.RetryBackoff.Delay(retry, TimeSpan.FromMilliseconds(baseMs), TimeSpan.FromSeconds(5), random);

        Assert.Equal(expectedMs, delay.TotalMilliseconds, 3);
    }

    [Fact]
    public void ReadRetryAfter_ReadsMillisecondsSecondsAndDates()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var ms = new HttpResponseMessage();
        ms.Headers.TryAddWithoutValidation("retry-after-ms", "1500");
        using var seconds = new HttpResponseMessage();
        seconds.Headers.TryAddWithoutValidation("Retry-After", "7");
        using var date = new HttpResponseMessage();
        date.Headers.TryAddWithoutValidation("Retry-After", now.AddSeconds(30).ToString("R"));

        Assert.Equal(TimeSpan.FromMilliseconds(1500), Providers.HttpExchange.ReadRetryAfter(ms.Headers, now));
        Assert.Equal(TimeSpan.FromSeconds(7), Providers.HttpExchange.ReadRetryAfter(seconds.Headers, now));
        Assert.Equal(TimeSpan.FromSeconds(30), Providers.HttpExchange.ReadRetryAfter(date.Headers, now));
    }
}
