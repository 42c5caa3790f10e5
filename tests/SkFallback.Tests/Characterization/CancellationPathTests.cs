using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using static SkFallback.Tests.Characterization.Scripted;

namespace SkFallback.Tests.Characterization;

/// <summary>Pins the caller's own cancellation: what surfaces, and what is recorded and charged for the attempt it cut short.</summary>
public class CancellationPathTests
{
    private const string Head = "The Danube flows east through Vienna, the Rhine flows north past Cologne,";

    [Fact]
    public async Task GetResponse_CallerCancelsWhileWaiting_OperationCanceledAndNothingCharged()
    {
        var clock = new FakeTimeProvider();
        var b = Calls("b", Reply("unused"));
        using var rig = Rig.Of(clock, (Calls("a", Hang()), Mini), (b, Haiku));
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Rig.Ct);

        var call = rig.Ask(cancellationToken: caller.Token);
        clock.Advance(TimeSpan.FromMilliseconds(250));
        await caller.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct));

        Pin.Match("""
            threw: TaskCanceledException
            message: A task was canceled.
            ledger:
              (none)
            task: Canceled
            b calls: 0
            """, Pin.Failure(error, rig.Ledger) + $"\ntask: {call.Status}\nb calls: {b.Calls}");
    }

    [Fact]
    public async Task GetResponse_CallerCancelsUnderATenantBudget_ThePromptIsChargedAsCancelled()
    {
        var clock = new FakeTimeProvider();
        using var rig = Rig.Of(clock, o => o.Budget.TenantDailyLimits["acme"] = 1m, (Calls("a", Hang()), Mini), (Calls("b", Reply("unused")), Haiku));
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Rig.Ct);

        var call = rig.Ask(Keys((FallbackMetadataKeys.Tenant, "acme")), caller.Token);
        clock.Advance(TimeSpan.FromMilliseconds(250));
        await caller.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct));

        Pin.Match("""
            threw: TaskCanceledException
            message: A task was canceled.
            ledger:
              reserve tenant=acme limit=1 amount=0.00983295 -> held
              record a gpt-4o-mini-2024-07-18 | Cancelled | tenant=acme | prompt=13 | output=0 | cost=0.00000195 | estimated=0.00061635 | reported=False | at=+250ms | settles=0.00983295
            tenant today: (0.00000195, 0)
            """, Pin.Failure(error, rig.Ledger) + $"\ntenant today: {rig.Ledger.TenantToday("acme")}");
    }

    [Fact]
    public async Task GetStreamingResponse_CallerCancelsAfterCommit_OperationCanceledAndNothingCharged()
    {
        var clock = new FakeTimeProvider();
        var b = Streams("b", Words("unused"));
        using var rig = Rig.Of(clock, (Streams("a", Words(Head, clock, 10, hang: true)), Mini), (b, Haiku));
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Rig.Ct);
        var received = new List<ChatResponseUpdate>();

        var read = Read(rig, received, caller.Token);
        await caller.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct));

        Pin.Match("""
            threw: TaskCanceledException
            message: A task was canceled.
            ledger:
              (none)
            received: The Danube flows east through Vienna, the Rhine flows north past Cologne,
            b calls: 0
            """, Pin.Failure(error, rig.Ledger) + $"\nreceived: {string.Concat(received.Select(u => u.Text))}\nb calls: {b.Calls}");
    }

    [Fact]
    public async Task GetStreamingResponse_CallerCancelsAfterCommitUnderATenantBudget_DeliveredChunksCharged()
    {
        var clock = new FakeTimeProvider();
        using var rig = Rig.Of(clock, o => o.Budget.TenantDailyLimits["acme"] = 1m, (Streams("a", Words(Head, clock, 10, hang: true)), Mini), (Streams("b", Words("unused")), Haiku));
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Rig.Ct);
        var received = new List<ChatResponseUpdate>();

        var read = Read(rig, received, caller.Token, Keys((FallbackMetadataKeys.Tenant, "acme")));
        await caller.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(10), Rig.Ct));

        Pin.Match("""
            threw: TaskCanceledException
            message: A task was canceled.
            ledger:
              reserve tenant=acme limit=1 amount=0.00983295 -> held
              record a gpt-4o-mini-2024-07-18 | Cancelled | tenant=acme | prompt=13 | output=13 | cost=0.00000975 | estimated=0.00061635 | reported=False | at=+120ms | settles=0.00983295
            received: The Danube flows east through Vienna, the Rhine flows north past Cologne,
            tenant today: (0.00000975, 0)
            """, Pin.Failure(error, rig.Ledger) + $"\nreceived: {string.Concat(received.Select(u => u.Text))}\ntenant today: {rig.Ledger.TenantToday("acme")}");
    }

    /// <summary>Reads into <paramref name="received"/>; runs synchronously until the provider's stream waits.</summary>
    private static async Task Read(Rig rig, List<ChatResponseUpdate> received, CancellationToken cancellationToken, ChatOptions? options = null)
    {
        await foreach (var update in rig.Client.GetStreamingResponseAsync("Name three rivers in Europe.", options, cancellationToken).ConfigureAwait(false))
        {
            received.Add(update);
        }
    }
}
