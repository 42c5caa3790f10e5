using System.Text;
using Microsoft.Extensions.AI;
using SkFallback.Simulator;

namespace SkFallback.Tests.Wire;

/// <summary>
/// The chain's caps on what a provider may send, over HTTP: a large real answer passes at the defaults; an endless
/// body or event-stream line is cut at the cap (MalformedResponse, the provider's stream and content disposed, the next
/// provider answers)
/// with the memory it costs bounded by the cap. Run alone: the allocations measured are the process's, and megabytes
/// over loopback would slow the timing tests beside them.
/// </summary>
[CollectionDefinition(nameof(ResponseCapOverHttpTests), DisableParallelization = true)]
[Collection(nameof(ResponseCapOverHttpTests))]
public sealed class ResponseCapOverHttpTests : IClassFixture<SimulatorFixture>
{
    private const string Question = "Write a long report";
    private readonly SimulatorFixture _fixture;

    public ResponseCapOverHttpTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, false, 5_000_000)]
    [InlineData(WireFormat.Anthropic, false, 5_000_000)]
    [InlineData(WireFormat.OpenAI, true, 400_000)]
    [InlineData(WireFormat.Anthropic, true, 400_000)]
    public async Task Ask_LargeAnswerAtDefaultCaps_Passes(WireFormat wire, bool streaming, int chars)
    {
        var model = $"large-{wire}-{streaming}-2024-01-01".ToLowerInvariant();
        var text = LongText(chars);
        _fixture.Simulator.Model(model).Always(SimulatedBehavior.Reply(text));
        var options = new FallbackOptions { AttemptTimeout = TimeSpan.FromSeconds(60) };
        var provider = _fixture.Provider("only", model, wire);
        provider.MaxOutputTokens = 1_000_000; // Anthropic's adapter sends a max_tokens the simulator honours
        options.Add(provider);
        using var client = new FallbackChatClient(options);

        var response = await Ask(client, streaming);

        Assert.Equal(text, response.Text);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, false)]
    [InlineData(WireFormat.OpenAI, true)]
    [InlineData(WireFormat.Anthropic, false)]
    [InlineData(WireFormat.Anthropic, true)]
    public async Task Ask_EndlessResponse_CutAtTheCapWithMemoryBoundedAndFallsBack(WireFormat wire, bool streaming)
    {
        var sim = _fixture.Simulator;
        var endless = $"endless-{wire}-{streaming}-2024-01-01".ToLowerInvariant();
        var healthy = $"endless-ok-{wire}-{streaming}-2024-01-01".ToLowerInvariant();
        sim.Model(endless).Always(SimulatedBehavior.Endless());
        const long Cap = 8L * 1024 * 1024;
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, MaxResponseBytes = Cap, MaxResponseLineBytes = Cap / 8 };
        options.Add(_fixture.Provider("endless", endless, wire));
        options.Add(_fixture.Provider("backup", healthy, wire));
        using var client = new FallbackChatClient(options);
        var totalBefore = GC.GetTotalAllocatedBytes(precise: true);

        var response = await Ask(client, streaming);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - totalBefore;
        TestContext.Current.TestOutputHelper?.WriteLine($"{wire} streaming={streaming}: allocated {allocated / 1048576.0:0.0} MiB for a cap of {Cap / 1048576} MiB");
        Assert.Equal(sim.ExpectedReply(healthy, Question), response.Text);
        var attempts = (IReadOnlyList<FallbackAttempt>)response.AdditionalProperties![FallbackMetadataKeys.Attempts]!;
        Assert.Equal([FailureKind.MalformedResponse, FailureKind.None], attempts.Select(a => a.Outcome));
        Assert.Contains(streaming ? "MaxResponseLineBytes" : "MaxResponseBytes", attempts[0].Detail, StringComparison.Ordinal);

        // Everything the process allocated meanwhile (other tests included) stays within a few caps, not the 2 GiB sent.
        Assert.InRange(allocated, 0, 40 * Cap);
    }

    private static string LongText(int chars)
    {
        var text = new StringBuilder(chars + 16);
        for (var i = 0; text.Length < chars; i++)
        {
            text.Append(i == 0 ? string.Empty : " ").Append("word").Append(i % 1000);
        }

        return text.ToString();
    }

    private static async Task<ChatResponse> Ask(IChatClient client, bool streaming)
    {
        if (!streaming)
        {
            return await client.GetResponseAsync(Question, cancellationToken: TestContext.Current.CancellationToken);
        }

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question, cancellationToken: TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }
}
