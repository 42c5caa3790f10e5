using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Characterization;

/// <summary>
/// A chain of fake providers on a fake clock, priced from the shipped catalog, recording its ledger. The clock
/// moves only when a test or a fake provider moves it, so every elapsed time is exact.
/// </summary>
internal sealed class Rig : IDisposable
{
    private Rig(FakeTimeProvider clock, RecordingLedger ledger, FallbackChatClient client)
    {
        Clock = clock;
        Ledger = ledger;
        Client = client;
    }

    public FakeTimeProvider Clock { get; }

    public RecordingLedger Ledger { get; }

    public FallbackChatClient Client { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A chain of <paramref name="providers"/> (each a fake and its pinned model). No retry delay, no jitter, breakers
    /// with jitter off; every provider requires a finish reason.
    /// </summary>
    public static Rig Of(FakeTimeProvider clock, Action<FallbackOptions>? configure, params (TestChatClient Client, string Model)[] providers)
    {
        var options = new FallbackOptions { RetryBaseDelay = TimeSpan.Zero };
        options.CircuitBreaker.Jitter = 0;
        foreach (var (client, model) in providers)
        {
            options.Add(new ProviderOptions { Name = client.Name, Kind = ProviderKinds.Custom, Model = model, Client = client, RequireFinishReason = true });
        }

        configure?.Invoke(options);
        var ledger = new RecordingLedger(clock);
        return new Rig(clock, ledger, new FallbackChatClient(options, timeProvider: clock, ledger: ledger));
    }

    public static Rig Of(FakeTimeProvider clock, params (TestChatClient Client, string Model)[] providers) => Of(clock, null, providers);

    public Task<ChatResponse> Ask(ChatOptions? options = null, CancellationToken? cancellationToken = null) =>
        Client.GetResponseAsync("Name three rivers in Europe.", options, cancellationToken ?? Ct);

    /// <summary>Reads the whole stream. Started without awaiting, it runs synchronously up to the first wait.</summary>
    public async Task<List<ChatResponseUpdate>> Read(ChatOptions? options = null, CancellationToken? cancellationToken = null)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in Client.GetStreamingResponseAsync("Name three rivers in Europe.", options, cancellationToken ?? Ct).ConfigureAwait(false))
        {
            updates.Add(update);
        }

        return updates;
    }

    /// <summary>Waits (a bounded, real-time poll) until <paramref name="condition"/> holds: for work the engine finishes after the call returned.</summary>
    public static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 5000 && !condition(); i++)
        {
            await Task.Delay(1, Ct);
        }

        Assert.True(condition(), "the condition did not become true within 5 s");
    }

    public void Dispose() => Client.Dispose();
}
