using Microsoft.Extensions.AI;
using SkFallback.Simulator;

namespace SkFallback.Tests.Wire;

/// <summary>
/// Every simulator fault, streaming and not, on both wires, through the real OpenAI and Anthropic SDKs over HTTP:
/// the next provider answers and the attempts name the right reason.
/// </summary>
public class FaultMatrixTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _fixture;

    public FaultMatrixTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    public static TheoryData<string, WireFormat, bool> Matrix()
    {
        var data = new TheoryData<string, WireFormat, bool>();
        foreach (var fault in Faults.Keys)
        {
            foreach (var wire in new[] { WireFormat.OpenAI, WireFormat.Anthropic })
            {
                data.Add(fault, wire, false);
                data.Add(fault, wire, true);
            }
        }

        return data;
    }

    private static readonly Dictionary<string, (Func<SimulatedBehavior> Behavior, FailureKind NonStreaming, FailureKind Streaming)> Faults = new()
    {
        ["rate_limited"] = (() => SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(30)), FailureKind.RateLimited, FailureKind.RateLimited),
        ["server_500"] = (() => SimulatedBehavior.ServerError(500), FailureKind.ServerError, FailureKind.ServerError),
        ["server_502"] = (() => SimulatedBehavior.ServerError(502), FailureKind.ServerError, FailureKind.ServerError),
        ["server_503"] = (() => SimulatedBehavior.ServerError(503), FailureKind.ServerError, FailureKind.ServerError),
        ["server_504"] = (() => SimulatedBehavior.ServerError(504), FailureKind.ServerError, FailureKind.ServerError),
        ["hang"] = (SimulatedBehavior.Hang, FailureKind.Timeout, FailureKind.FirstTokenTimeout),
        ["connection_reset"] = (SimulatedBehavior.ConnectionReset, FailureKind.ConnectionFailure, FailureKind.ConnectionFailure),
        ["drop"] = (() => SimulatedBehavior.DropAfter(0), FailureKind.ConnectionFailure, FailureKind.ConnectionFailure),
        ["stall"] = (() => SimulatedBehavior.Stall(0), FailureKind.Timeout, FailureKind.FirstTokenTimeout),
        ["truncated"] = (() => SimulatedBehavior.TruncateAfter(0), FailureKind.MalformedResponse, FailureKind.TruncatedStream),
        ["malformed_json"] = (SimulatedBehavior.MalformedJson, FailureKind.MalformedResponse, FailureKind.MalformedResponse),
        ["refusal_error"] = (SimulatedBehavior.RefusalError, FailureKind.Refusal, FailureKind.Refusal),
        ["content_filter"] = (SimulatedBehavior.ContentFilter, FailureKind.Refusal, FailureKind.Refusal),
        ["refusal_text"] = (SimulatedBehavior.RefusalText, FailureKind.Refusal, FailureKind.Refusal),
        ["context_length"] = (SimulatedBehavior.ContextLengthExceeded, FailureKind.ContextLengthExceeded, FailureKind.ContextLengthExceeded),
        ["unauthorized"] = (SimulatedBehavior.Unauthorized, FailureKind.Authentication, FailureKind.Authentication),
    };

    /// <summary>
    /// A two-provider chain. Timeouts are generous (a loaded CI machine must not turn a slow answer into a timeout),
    /// except on a primary whose fault is a hang or stall, which gets short ones so the test stays quick.
    /// </summary>
    private FallbackChatClient Chain(string failingModel, WireFormat wire, string healthyModel, WireFormat healthyWire, bool shortPrimaryTimeouts = false)
    {
        var options = new FallbackOptions
        {
            MaxRetriesPerProvider = 0,
            AttemptTimeout = TimeSpan.FromSeconds(20),
            FirstTokenTimeout = TimeSpan.FromSeconds(20),
            Deadline = TimeSpan.FromSeconds(60),
        };
        var primary = _fixture.Provider("primary", failingModel, wire);
        if (shortPrimaryTimeouts)
        {
            primary.AttemptTimeout = TimeSpan.FromSeconds(1);
            primary.FirstTokenTimeout = TimeSpan.FromMilliseconds(500);
        }

        options.Add(primary);
        options.Add(_fixture.Provider("backup", healthyModel, healthyWire));
        return new FallbackChatClient(options);
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Fault_OnPrimary_NextProviderAnswersAndAttemptNamesReason(string fault, WireFormat wire, bool streaming)
    {
        var sim = _fixture.Simulator;
        var failing = $"fail-{fault}-{wire}-{(streaming ? "s" : "n")}-2024-01-01".ToLowerInvariant();
        var healthy = $"ok-{fault}-{wire}-{(streaming ? "s" : "n")}-2024-01-01".ToLowerInvariant();
        var healthyWire = wire == WireFormat.OpenAI ? WireFormat.Anthropic : WireFormat.OpenAI;
        sim.Model(failing).Always(Faults[fault].Behavior());
        using var client = Chain(failing, wire, healthy, healthyWire, shortPrimaryTimeouts: fault is "hang" or "stall");
        const string prompt = "What is the capital of France?";

        ChatResponse response;
        if (streaming)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in client.GetStreamingResponseAsync(prompt, cancellationToken: TestContext.Current.CancellationToken))
            {
                updates.Add(update);
            }

            response = updates.ToChatResponse();
        }
        else
        {
            response = await client.GetResponseAsync(prompt, cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(sim.ExpectedReply(healthy, prompt), response.Text);
        Assert.Equal("backup", response.AdditionalProperties![FallbackMetadataKeys.Provider]);
        var attempts = (IReadOnlyList<FallbackAttempt>)response.AdditionalProperties[FallbackMetadataKeys.Attempts]!;
        Assert.Equal(2, attempts.Count);
        Assert.Equal(streaming ? Faults[fault].Streaming : Faults[fault].NonStreaming, attempts[0].Outcome);
        Assert.True(attempts[1].Succeeded);
        Assert.Single(sim.RequestsFor(failing));
        Assert.Single(sim.RequestsFor(healthy));
        Assert.Equal(streaming, sim.RequestsFor(healthy)[0].Stream);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, false)]
    [InlineData(WireFormat.OpenAI, true)]
    [InlineData(WireFormat.Anthropic, false)]
    [InlineData(WireFormat.Anthropic, true)]
    public async Task BadRequest_OnPrimary_DoesNotFallBack(WireFormat wire, bool streaming)
    {
        var sim = _fixture.Simulator;
        var failing = $"bad-{wire}-{streaming}-2024-01-01".ToLowerInvariant();
        var healthy = $"bad-ok-{wire}-{streaming}-2024-01-01".ToLowerInvariant();
        sim.Model(failing).Always(SimulatedBehavior.BadRequest());
        using var client = Chain(failing, wire, healthy, wire);

        var exception = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            if (streaming)
            {
                await foreach (var _ in client.GetStreamingResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken))
                {
                }
            }
            else
            {
                await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
            }
        });

        Assert.IsNotType<FallbackExhaustedException>(exception);
        Assert.Empty(sim.RequestsFor(healthy));
        Assert.Single(sim.RequestsFor(failing));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AllProvidersFail_ThrowsExhaustedListingEveryAttempt(bool streaming)
    {
        var sim = _fixture.Simulator;
        var a = $"all-a-{streaming}-2024-01-01".ToLowerInvariant();
        var b = $"all-b-{streaming}-2024-01-01".ToLowerInvariant();
        sim.Model(a).Always(SimulatedBehavior.ServerError(503));
        sim.Model(b).Always(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(20)));
        using var client = Chain(a, WireFormat.OpenAI, b, WireFormat.Anthropic);

        var exception = await Assert.ThrowsAsync<FallbackExhaustedException>(async () =>
        {
            if (streaming)
            {
                await foreach (var _ in client.GetStreamingResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken))
                {
                }
            }
            else
            {
                await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
            }
        });

        Assert.Equal([FailureKind.ServerError, FailureKind.RateLimited], exception.Attempts.Select(x => x.Outcome));
        Assert.Equal([503, 429], exception.Attempts.Select(x => x.StatusCode));
        Assert.DoesNotContain("sk-test-key", exception.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-ant-test-key", exception.ToString(), StringComparison.Ordinal);
    }
}
