using System.Diagnostics;
using Microsoft.Extensions.AI;
using SkFallback.Diagnostics;
using SkFallback.Routing;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests;

/// <summary>The non-streaming call's synchronous first attempt and its hand-over to the async chain.</summary>
public class HotPathTests
{
    [Fact]
    public async Task GetResponse_NullMessages_FaultsTheTaskInsteadOfThrowing()
    {
        using var client = Chain.Of(new TestChatClient("a"));

        var task = client.GetResponseAsync((IEnumerable<ChatMessage>)null!, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(task.IsFaulted);
        await Assert.ThrowsAsync<ArgumentNullException>(() => task);
    }

    [Fact]
    public async Task GetResponse_CallerAlreadyCancelled_ReturnsCancelledTaskWithoutCallingProviders()
    {
        var a = new TestChatClient("a");
        using var client = Chain.Of(a);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var task = client.GetResponseAsync("hi", cancellationToken: cancelled.Token);

        Assert.True(task.IsCanceled);
        await Assert.ThrowsAsync<OperationCanceledException>(() => task);
        Assert.Equal(0, a.Calls);
    }

    [Fact]
    public async Task GetResponse_PrimaryAnswersAtOnce_ReturnsCompletedAnnotatedAnswer()
    {
        var a = new TestChatClient("hot-a");
        using var client = Chain.Of(a, new TestChatClient("hot-b"));

        var task = client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(task.IsCompletedSuccessfully);
        var response = await task;
        Assert.Equal("hot-a", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
        var attempt = Assert.Single(Chain.AttemptsOf(response));
        Assert.Equal(FailureKind.None, attempt.Outcome);
    }

    [Fact]
    public async Task GetResponse_PrimaryCallerCancelsWhileAnswerIsPending_SurfacesCancellationWithoutFallingBack()
    {
        var answer = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = new TestChatClient("a") { OnResponse = (_, _, token) => answer.Task.WaitAsync(token) };
        var b = new TestChatClient("b");
        using var client = Chain.Of(a, b);
        using var caller = new CancellationTokenSource();

        var task = client.GetResponseAsync("hi", cancellationToken: caller.Token);
        Assert.False(task.IsCompleted);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(task.IsCanceled);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task GetResponse_PrimaryAnswersLater_CallerKeepsItsCurrentActivityAndTheCallsActivityEndsWithTheAnswer()
    {
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == FallbackTelemetry.SourceName || source.Name == "hot-path-test",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (stopped) { stopped.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("hot-path-test");
        using var parent = source.StartActivity("caller");
        Assert.NotNull(parent);

        var answer = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = new TestChatClient("hot-late") { OnResponse = (_, _, _) => answer.Task };
        using var client = Chain.Of(a);

        var task = client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Same(parent, Activity.Current);
        answer.SetResult(TestChatClient.Answer("hot-late"));
        var response = await task;
        Assert.Same(parent, Activity.Current);
        Assert.Equal("hot-late", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
        Activity chain;
        lock (stopped)
        {
            chain = Assert.Single(stopped, x => x.OperationName == FallbackTelemetry.CallActivityName && (string?)x.GetTagItem(FallbackTelemetry.ProviderTag) == "hot-late");
        }

        Assert.Same(parent, chain.Parent);
    }

    [Fact]
    public void AttemptList_HoldsAttemptsInOrder()
    {
        var list = new AttemptList();
        Assert.Empty(list);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[0]);

        var first = new FallbackAttempt("a", "m", FailureKind.ServerError, 500, TimeSpan.FromMilliseconds(1));
        var second = new FallbackAttempt("b", "m", FailureKind.Timeout, null, TimeSpan.FromMilliseconds(2));
        var third = new FallbackAttempt("c", "m", FailureKind.None, null, TimeSpan.FromMilliseconds(3));
        list.Add(first);
        var other = new AttemptList();
        other.Add(second);
        other.Add(third);
        list.AddRange(other);

        Assert.Equal(3, list.Count);
        Assert.Equal([first, second, third], list.ToArray());
        Assert.Equal([first, second, third], list);
        Assert.Same(third, list[^1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
        Assert.True(list.Exists(x => x.Succeeded));
        Assert.False(list.TrueForAll(x => x.Succeeded));
    }
}
