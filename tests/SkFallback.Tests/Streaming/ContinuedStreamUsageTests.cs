using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Simulator;
using SkFallback.Streaming;
using SkFallback.Tests.Wire;

namespace SkFallback.Tests.Streaming;

/// <summary>
/// The usage a caller reads from a continued stream over real HTTP with the real SDKs: the continuing provider's
/// reported usage plus an estimate for the provider that broke off before reporting.
/// </summary>
public sealed class ContinuedStreamUsageTests : IClassFixture<SimulatorFixture>
{
    private const string Question = "Describe a walk along the river in three sentences.";
    private readonly SimulatorFixture _fixture;

    public ContinuedStreamUsageTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProviderSimulator Sim => _fixture.Simulator;

    private FallbackChatClient Chain(string model, WireFormat first, WireFormat second)
    {
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, AttemptTimeout = TimeSpan.FromSeconds(20), FirstTokenTimeout = TimeSpan.FromSeconds(10) };
        options.Add(_fixture.Provider("first", model, first));
        options.Add(_fixture.Provider("second", model, second));
        return new FallbackChatClient(options);
    }

    private static async Task<List<ChatResponseUpdate>> ReadAsync(IChatClient client)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question, cancellationToken: Ct))
        {
            updates.Add(update);
        }

        return updates;
    }

    /// <summary>The usage the given updates carry, summed the way <c>ToChatResponse</c> sums it.</summary>
    private static (long Input, long Output, int Count) Reported(IEnumerable<ChatResponseUpdate> updates)
    {
        long input = 0, output = 0;
        var count = 0;
        foreach (var usage in updates.SelectMany(u => u.Contents).OfType<UsageContent>())
        {
            input += usage.Details.InputTokenCount ?? 0;
            output += usage.Details.OutputTokenCount ?? 0;
            count++;
        }

        return (input, output, count);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic, 12)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI, 12)]
    [InlineData(WireFormat.OpenAI, WireFormat.Anthropic, 20)]
    [InlineData(WireFormat.Anthropic, WireFormat.OpenAI, 20)]
    public async Task ContinuedAfterACut_UsageCoversBothProviders(WireFormat first, WireFormat second, int cut)
    {
        var model = $"usage-cut-{first}-{second}-{cut}".ToLowerInvariant();
        Sim.Model(model).Then(SimulatedBehavior.DropAfter(cut));
        using var client = Chain(model, first, second);

        var updates = await ReadAsync(client);
        var response = updates.ToChatResponse();

        Assert.Equal(Sim.ExpectedReply(model, Question), response.Text);

        // Continuations keep the first part's message id, so the joined answer is one message.
        Assert.Single(response.Messages);
        var seam = updates.FindIndex(u => !string.IsNullOrEmpty(u.Text) && u.AdditionalProperties?.TryGetValue(FallbackMetadataKeys.Provider, out var p) == true && (string?)p == "second");
        Assert.True(seam > 0);
        var brokenText = string.Concat(updates.Take(seam).Select(u => u.Text));
        Assert.Equal(cut, brokenText.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);

        // What the second provider reported on the wire, read from its updates alone (the trailer excluded).
        var trailer = updates[^1];
        var continuing = Reported(updates.Skip(seam).Take(updates.Count - seam - 1));
        Assert.True(continuing.Input > 0);
        Assert.True(continuing.Output > 0);

        // The broken part: its prompt and its delivered text, estimated as the chain's estimator counts them.
        var estimator = new TokenEstimator();
        long brokenInput = estimator.EstimatePromptTokens(model, [new ChatMessage(ChatRole.User, Question)]);
        var brokenOutput = (long)Math.Ceiling(TokenEstimator.CountText(TokenEstimator.FamilyOf(model), brokenText) * estimator.CorrectionOf(model));
        Assert.InRange(brokenOutput, cut, 3 * cut);

        var usage = response.Usage;
        Assert.NotNull(usage);
        Assert.Equal(continuing.Output + brokenOutput, usage.OutputTokenCount);
        Assert.Equal(continuing.Input + brokenInput, usage.InputTokenCount);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
        Assert.Equal(brokenInput, usage.AdditionalCounts![FallbackMetadataKeys.EstimatedInputTokens]);
        Assert.Equal(brokenOutput, usage.AdditionalCounts[FallbackMetadataKeys.EstimatedOutputTokens]);

        // The estimate rides on the trailer, once.
        var estimated = Assert.Single(trailer.Contents.OfType<UsageContent>());
        Assert.Equal(brokenOutput, estimated.Details.OutputTokenCount);
        Assert.Equal(0, Reported(updates.Take(seam)).Count);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task CleanStream_UsageIsTheProvidersAlone(WireFormat wire)
    {
        var model = $"usage-clean-{wire}".ToLowerInvariant();
        using var client = Chain(model, wire, wire);

        var updates = await ReadAsync(client);
        var response = updates.ToChatResponse();

        Assert.Equal(Sim.ExpectedReply(model, Question), response.Text);
        Assert.Empty(updates[^1].Contents.OfType<UsageContent>());
        var reported = Reported(updates);
        Assert.NotNull(response.Usage);
        Assert.Equal(reported.Input, response.Usage.InputTokenCount);
        Assert.Equal(reported.Output, response.Usage.OutputTokenCount);
        Assert.Equal(Sim.ExpectedReply(model, Question).Split(' ').Length, response.Usage.OutputTokenCount);
        Assert.True(response.Usage.AdditionalCounts is null || !response.Usage.AdditionalCounts.ContainsKey(FallbackMetadataKeys.EstimatedOutputTokens));
    }

    [Fact]
    public void UnreportedUsage_PartThatReportedInputAndAProvisionalOutput_AddsOnlyTheMissingOutput()
    {
        var estimator = new TokenEstimator();
        var model = "gpt-4o-2024-08-06";
        ChatResponseUpdate[] part =
        [
            new(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 40, OutputTokenCount = 1 })]),
            new(ChatRole.Assistant, "The river bends"),
            new(ChatRole.Assistant, " past the old mill."),
        ];
        var written = TokenEstimator.CountText(TokenEstimator.FamilyOf(model), "The river bends past the old mill.");

        var usage = UnreportedUsage.Add(null, part, estimator, model, [new ChatMessage(ChatRole.User, Question)], null, promptBilled: true);

        Assert.NotNull(usage);
        Assert.Equal(0, usage.InputTokenCount);
        Assert.Equal(written - 1, usage.OutputTokenCount);
        Assert.Equal(written - 1, usage.AdditionalCounts![FallbackMetadataKeys.EstimatedOutputTokens]);

        // A second broken part adds to the same estimate; a part with nothing delivered and no billed prompt adds nothing.
        var again = UnreportedUsage.Add(usage, part.AsSpan(1), estimator, model, [new ChatMessage(ChatRole.User, Question)], null, promptBilled: true);
        Assert.Same(usage, again);
        Assert.Equal(estimator.EstimatePromptTokens(model, [new ChatMessage(ChatRole.User, Question)]), usage.InputTokenCount);
        Assert.Equal((2 * written) - 1, usage.OutputTokenCount);
        Assert.Null(UnreportedUsage.Add(null, [], estimator, model, [new ChatMessage(ChatRole.User, Question)], null, promptBilled: false));
    }
}
