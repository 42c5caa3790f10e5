using System.Text;
using Microsoft.Extensions.AI;
using SkFallback.Simulator;
using SkFallback.Streaming;
using SkFallback.Tests.Wire;

namespace SkFallback.Tests.Streaming;

/// <summary>
/// A continuation sent as prefill to a model that rejects prefill (newer Claude models answer it with a 400), over
/// real HTTP with the real SDKs: the same provider is asked again with an instructed continuation, and later
/// continuations on it are instructed at once.
/// </summary>
public sealed class PrefillRejectedTests : IClassFixture<SimulatorFixture>
{
    private const string Question = "Suggest a route for an evening bike ride.";
    private readonly SimulatorFixture _fixture;

    public PrefillRejectedTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProviderSimulator Sim => _fixture.Simulator;

    private static async Task<(string Text, List<ChatResponseUpdate> Updates)> ReadAsync(IChatClient client)
    {
        var text = new StringBuilder();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question, cancellationToken: Ct))
        {
            updates.Add(update);
            text.Append(update.Text);
        }

        return (text.ToString(), updates);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task PrefillRejected_SameProviderContinuesInstructed_AndLaterContinuationsAreInstructedAtOnce(WireFormat first)
    {
        var model = $"no-prefill-after-{first}".ToLowerInvariant();
        Sim.Model(model).RejectPrefill().Then(SimulatedBehavior.DropAfter(12));
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, AttemptTimeout = TimeSpan.FromSeconds(20), FirstTokenTimeout = TimeSpan.FromSeconds(10) };
        options.Add(_fixture.Provider("first", model, first));
        options.Add(_fixture.Provider("claude", model, WireFormat.Anthropic));
        using var client = new FallbackChatClient(options);
        var expected = Sim.ExpectedReply(model, Question);

        var (text, updates) = await ReadAsync(client);

        // Nothing missing, nothing repeated at the seam: the joined text is exactly the full answer.
        Assert.Equal(expected, text);
        var requests = Sim.RequestsFor(model);
        Assert.Equal([ContinuationKind.None, ContinuationKind.Prefill, ContinuationKind.Instructed], requests.Select(r => r.Continuation));
        Assert.Equal(400, requests[1].StatusCode);
        Assert.Equal(WireFormat.Anthropic, requests[2].Wire);
        var attempts = (IReadOnlyList<FallbackAttempt>)updates[^1].AdditionalProperties![FallbackMetadataKeys.Attempts]!;
        Assert.Equal([FailureKind.ConnectionFailure, FailureKind.CallerError, FailureKind.None], attempts.Select(a => a.Outcome));
        Assert.Equal(["first", "claude", "claude"], attempts.Select(a => a.Provider));
        Assert.Equal(["first", "claude"], (IReadOnlyList<string>)updates[^1].AdditionalProperties![FallbackMetadataKeys.ContinuedFrom]!);
        Assert.Equal("claude", updates[^1].AdditionalProperties![FallbackMetadataKeys.Provider]);

        // The next break on the same chain: the provider that rejected prefill is asked instructed at once.
        Sim.Model(model).Then(SimulatedBehavior.DropAfter(15));
        var (again, _) = await ReadAsync(client);

        Assert.Equal(expected, again);
        requests = Sim.RequestsFor(model);
        Assert.Equal(5, requests.Count);
        Assert.Equal([ContinuationKind.None, ContinuationKind.Instructed], requests.Skip(3).Select(r => r.Continuation));
        Assert.All(requests.Skip(3), r => Assert.NotEqual(400, r.StatusCode));
    }

    [Fact]
    public async Task PrefillAccepted_ProviderKeepsPrefill()
    {
        var model = "prefill-accepted";
        Sim.Model(model).Then(SimulatedBehavior.DropAfter(12)).Then(SimulatedBehavior.Ok()).Then(SimulatedBehavior.DropAfter(10));
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, AttemptTimeout = TimeSpan.FromSeconds(20), FirstTokenTimeout = TimeSpan.FromSeconds(10) };
        options.Add(_fixture.Provider("first", model, WireFormat.OpenAI));
        options.Add(_fixture.Provider("claude", model, WireFormat.Anthropic));
        using var client = new FallbackChatClient(options);

        var (text, _) = await ReadAsync(client);
        var (again, _) = await ReadAsync(client);

        Assert.Equal(Sim.ExpectedReply(model, Question), text);
        Assert.Equal(text, again);
        Assert.Equal([ContinuationKind.None, ContinuationKind.Prefill, ContinuationKind.None, ContinuationKind.Prefill], Sim.RequestsFor(model).Select(r => r.Continuation));
    }

    [Fact]
    public async Task InstructedContinuationAlsoRejected_StreamFailsWithTheCallerError()
    {
        var model = "no-prefill-bad-request";
        Sim.Model(model).RejectPrefill().Then(SimulatedBehavior.DropAfter(12)).Then(SimulatedBehavior.BadRequest());
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, AttemptTimeout = TimeSpan.FromSeconds(20), FirstTokenTimeout = TimeSpan.FromSeconds(10) };
        options.Add(_fixture.Provider("first", model, WireFormat.OpenAI));
        options.Add(_fixture.Provider("claude", model, WireFormat.Anthropic));
        using var client = new FallbackChatClient(options);

        var error = await Assert.ThrowsAsync<FallbackExhaustedException>(() => ReadAsync(client));

        // One instructed retry, not a loop: the second 400 ends the stream.
        Assert.True(error.OutputCommitted);
        Assert.Equal([FailureKind.ConnectionFailure, FailureKind.CallerError, FailureKind.CallerError], error.Attempts.Select(a => a.Outcome));
        Assert.Equal([ContinuationKind.None, ContinuationKind.Prefill, ContinuationKind.Instructed], Sim.RequestsFor(model).Select(r => r.Continuation));
    }
}
