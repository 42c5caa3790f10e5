using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Text;
using Anthropic;
using Microsoft.Extensions.AI;
using OpenAI;
using SkFallback.Simulator;
using SkFallback.Streaming;
using SkFallback.Tests.Wire;

namespace SkFallback.Tests.Streaming;

/// <summary>
/// The continuation pieces over real HTTP: requests built by <see cref="ContinuationRequestBuilder"/>, sent with the
/// real Anthropic and OpenAI SDKs to the simulator, answers joined by <see cref="ContinuationOverlapTrimmer"/>.
/// </summary>
public sealed class ContinuationOverHttpTests : IClassFixture<SimulatorFixture>
{
    private const string Question = "Describe the harbour at dawn";

    private readonly SimulatorFixture _fixture;

    public ContinuationOverHttpTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    private ProviderSimulator Simulator => _fixture.Simulator;

    private IChatClient Anthropic(string model) =>
        new AnthropicClient { ApiKey = "k", BaseUrl = Simulator.AnthropicEndpoint.ToString(), MaxRetries = 0 }.AsIChatClient(model, 1024);

    private IChatClient OpenAI(string model, Uri? endpoint = null) =>
        new OpenAI.Chat.ChatClient(model, new ApiKeyCredential("k"), new OpenAIClientOptions
        {
            Endpoint = endpoint ?? Simulator.OpenAIEndpoint,
            RetryPolicy = new ClientRetryPolicy(0),
        }).AsIChatClient();

    private static string FirstTokens(string reply, int tokens) => string.Join(' ', reply.Split(' '), 0, tokens);

    /// <summary>Streams a continuation and joins it to what was delivered, as the engine will.</summary>
    private static async Task<(string Joined, ContinuationOverlapTrimmer Trimmer)> ContinueAsync(IChatClient client, ContinuationRequest request)
    {
        var trimmer = request.CreateTrimmer();
        var joined = new StringBuilder(request.Delivered);
        ChatFinishReason? finish = null;
        await foreach (var update in client.GetStreamingResponseAsync(request.Messages, request.Options, TestToken))
        {
            joined.Append(trimmer.Push(update.Text));
            finish ??= update.FinishReason;
        }

        joined.Append(trimmer.Flush());
        Assert.Equal(ChatFinishReason.Stop, finish);
        return (joined.ToString(), trimmer);
    }

    private static ChatMessage[] Conversation => [new(ChatRole.User, Question)];

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, true)]
    [InlineData(8, false)]
    [InlineData(12, true)]
    [InlineData(23, false)]
    public async Task AnthropicPrefill_FirstNTokensDelivered_JoinsToTheFullAnswer(int tokens, bool trailingSpace)
    {
        var model = $"prefill-{tokens}-{trailingSpace}".ToLowerInvariant();
        var full = Simulator.ExpectedReply(model, Question);
        var delivered = FirstTokens(full, tokens) + (trailingSpace ? " " : string.Empty);
        var request = ContinuationRequestBuilder.Build(Conversation, null, delivered, ContinuationMode.AssistantPrefill);

        var (joined, trimmer) = await ContinueAsync(Anthropic(model), request);

        Assert.Equal(full, joined);
        Assert.Equal(trailingSpace ? 1 : 0, trimmer.TrimmedLength);
        var recorded = Assert.Single(Simulator.RequestsFor(model));
        Assert.Equal(SkFallback.Simulator.ContinuationKind.Prefill, recorded.Continuation);
        Assert.Equal(200, recorded.StatusCode);
    }

    [Fact]
    public async Task AnthropicPrefill_CutInsideAWord_JoinsToTheFullAnswer()
    {
        const string Model = "prefill-mid-word";
        var full = Simulator.ExpectedReply(Model, Question);
        var delivered = full[..(FirstTokens(full, 5).Length + 3)];

        var (joined, _) = await ContinueAsync(Anthropic(Model), ContinuationRequestBuilder.Build(Conversation, null, delivered, ContinuationMode.AssistantPrefill));

        Assert.Equal(full, joined);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(15)]
    [InlineData(23)]
    public async Task DeepSeekPrefixCompletionOnTheBetaPath_FirstNTokensDelivered_JoinsToTheFullAnswer(int tokens)
    {
        var model = $"deepseek-prefix-{tokens}";
        var full = Simulator.ExpectedReply(model, Question);
        var delivered = FirstTokens(full, tokens) + " ";
        var client = OpenAI(model, new Uri(Simulator.BaseUri, "beta/"));

        var (joined, trimmer) = await ContinueAsync(client, ContinuationRequestBuilder.Build(Conversation, null, delivered, ContinuationMode.PrefixCompletion));

        Assert.Equal(full, joined);
        Assert.Equal(0, trimmer.TrimmedLength);
        var recorded = Assert.Single(Simulator.RequestsFor(model));
        Assert.Equal(SkFallback.Simulator.ContinuationKind.Prefix, recorded.Continuation);
        Assert.True(recorded.Body["messages"]![1]!["prefix"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(11)]
    [InlineData(22)]
    public async Task MistralPrefixCompletionEchoingThePrefix_FirstNTokensDelivered_JoinsToTheFullAnswer(int tokens)
    {
        var model = $"mistral-prefix-{tokens}";
        Simulator.Model(model).EchoPrefix();
        var full = Simulator.ExpectedReply(model, Question);
        var delivered = FirstTokens(full, tokens);

        var (joined, trimmer) = await ContinueAsync(OpenAI(model), ContinuationRequestBuilder.Build(Conversation, null, delivered, ContinuationMode.PrefixCompletionEchoed));

        Assert.Equal(full, joined);
        Assert.Equal(delivered.Length, trimmer.TrimmedLength);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task Instructed_EveryFifthCharacterAsCutPoint_JoinsWithoutADuplicatedSpan(WireFormat wire)
    {
        var model = $"instructed-{wire}".ToLowerInvariant();
        var full = Simulator.ExpectedReply(model, Question);
        var client = wire == WireFormat.OpenAI ? OpenAI(model) : Anthropic(model);
        var trimmedSeams = 0;

        for (var cut = 1; cut < full.Length; cut += 5)
        {
            var request = ContinuationRequestBuilder.Build(Conversation, null, full[..cut], ContinuationMode.Instructed);

            var (joined, trimmer) = await ContinueAsync(client, request);

            Assert.Equal(full, joined);
            trimmedSeams += trimmer.TrimmedLength > 0 ? 1 : 0;
        }

        // The simulator repeated words at some seams, and the trimmer removed them.
        Assert.True(trimmedSeams >= 3, $"only {trimmedSeams} seams had a repetition");
        Assert.All(Simulator.RequestsFor(model), r => Assert.Equal(SkFallback.Simulator.ContinuationKind.Instructed, r.Continuation));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(9)]
    public async Task StreamDroppedOnOpenAIWire_ContinuedByPrefillOnAnthropicWire_JoinsToTheFullAnswer(int dropAfter)
    {
        // The same model id on both wires answers the same words, so the joined text is checkable across wire formats.
        var model = $"cross-wire-{dropAfter}";
        Simulator.Model(model).Then(SimulatedBehavior.DropAfter(dropAfter));
        var full = Simulator.ExpectedReply(model, Question);
        var delivered = new StringBuilder();
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var update in OpenAI(model).GetStreamingResponseAsync(Conversation, cancellationToken: TestToken))
            {
                delivered.Append(update.Text);
            }
        });
        Assert.IsNotType<OperationCanceledException>(error, exactMatch: false);

        var (joined, _) = await ContinueAsync(Anthropic(model), ContinuationRequestBuilder.Build(Conversation, null, delivered.ToString(), ContinuationMode.AssistantPrefill));

        Assert.Equal(FirstTokens(full, dropAfter), delivered.ToString());
        Assert.Equal(full, joined);
        var requests = Simulator.RequestsFor(model);
        Assert.Equal([SkFallback.Simulator.ContinuationKind.None, SkFallback.Simulator.ContinuationKind.Prefill], requests.Select(r => r.Continuation));
        Assert.Equal([WireFormat.OpenAI, WireFormat.Anthropic], requests.Select(r => r.Wire));
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task StallDetector_StreamStallsMidAnswer_CancelsItWithinTheShortTimeout(WireFormat wire)
    {
        var model = $"stall-detect-{wire}".ToLowerInvariant();
        Simulator.Model(model).Then(SimulatedBehavior.Stall(5));
        var client = wire == WireFormat.OpenAI ? OpenAI(model) : Anthropic(model);
        using var detector = new StreamStallDetector(TimeProvider.System);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
        var timeout = TimeSpan.FromSeconds(1);
        var text = new StringBuilder();
        var clock = Stopwatch.StartNew();
        TimeSpan lastChunk = default;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Conversation, cancellationToken: attempt.Token))
            {
                // The first token has its own timeout in the engine; the detector watches the gaps after it.
                if (text.Length == 0)
                {
                    detector.Start(attempt, timeout);
                }

                detector.OnChunk();
                lastChunk = clock.Elapsed;
                text.Append(update.Text);
            }
        });
        var stalledFor = clock.Elapsed - lastChunk;

        Assert.True(detector.Stop());
        Assert.Equal(FirstTokens(Simulator.ExpectedReply(model, Question), 5), text.ToString());
        Assert.InRange(stalledFor, timeout, TimeSpan.FromSeconds(5));

        // Cancelled while a read was pending, the connection closes: the provider sees the abort and stops.
        await Simulator.WaitForRequestsToEndAsync(TestToken);
        var recorded = Assert.Single(Simulator.RequestsFor(model));
        Assert.True(recorded.Aborted);
        Assert.Equal(5, recorded.ContentTokensSent);
    }
}
