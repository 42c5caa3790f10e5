using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using OpenAI.Chat;

namespace SkFallback.Simulator.Tests;

/// <summary>Continuation requests over the real SDKs: prefill (Anthropic), prefix completion (DeepSeek, Mistral) and instructed continuation.</summary>
public sealed class ContinuationTests
{
    private const string Question = "Tell me about the coast";

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    /// <summary>The first <paramref name="tokens"/> streamed tokens of a reply (one word each, leading space after the first).</summary>
    private static string FirstTokens(string reply, int tokens)
    {
        var words = reply.Split(' ');
        return string.Join(' ', words, 0, tokens);
    }

    private static MessageCreateParams AnthropicParams(string model, string prefill) => new()
    {
        Model = model,
        MaxTokens = 1024,
        Messages = [new UserMessageParam { Content = Question }, new AssistantMessageParam { Content = prefill }],
    };

#pragma warning disable SCME0001 // JsonPatch is the SDK's documented way to add a field it does not model.
    private static AssistantChatMessage PrefixMessage(string prefix)
    {
        var message = new AssistantChatMessage(prefix);
        message.Patch.Set("$.prefix"u8, true);
        return message;
    }
#pragma warning restore SCME0001

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(12)]
    [InlineData(23)]
    public async Task AnthropicCreate_PrefillOfFirstTokens_ReturnsExactlyTheRest(int tokens)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var client = SimulatorClients.Anthropic(simulator);
        var full = simulator.ExpectedReply("claude-sim", Question);
        var prefill = FirstTokens(full, tokens);

        var message = await client.Messages.Create(AnthropicParams("claude-sim", prefill), TestToken);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(full, prefill + text.Text);
        Assert.Equal(24 - tokens, message.Usage.OutputTokens);
        Assert.Equal("end_turn", message.StopReason?.Raw());
        var recorded = Assert.Single(simulator.Requests);
        Assert.Equal(ContinuationKind.Prefill, recorded.Continuation);
        Assert.Equal(Question, recorded.LastUserMessage);
    }

    [Fact]
    public async Task AnthropicCreateStreaming_ModelRejectingPrefill_Answers400AsClaude46DoesAndServesInstructedContinuation()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("claude-no-prefill").RejectPrefill();
        var client = SimulatorClients.Anthropic(simulator);
        var full = simulator.ExpectedReply("claude-no-prefill", Question);
        var prefill = FirstTokens(full, 6);

        var error = await Assert.ThrowsAsync<AnthropicBadRequestException>(async () =>
        {
            await foreach (var _ in client.Messages.CreateStreaming(AnthropicParams("claude-no-prefill", prefill), TestToken))
            {
            }
        });
        var instructed = new StringBuilder();
        await foreach (var streamEvent in client.Messages.CreateStreaming(
            new MessageCreateParams
            {
                Model = "claude-no-prefill",
                MaxTokens = 1024,
                Messages = [new UserMessageParam { Content = Question }, new UserMessageParam { Content = ContinuationInstruction.Build(prefill) }],
            },
            TestToken))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
            {
                instructed.Append(textDelta.Text);
            }
        }

        var plain = await client.Messages.Create(new MessageCreateParams { Model = "claude-no-prefill", MaxTokens = 1024, Messages = [new UserMessageParam { Content = Question }] }, TestToken);

        // The real error's shape: 400, type invalid_request_error, Anthropic's message, before any event is streamed.
        Assert.Contains("This model does not support assistant message prefill. The conversation must end with a user message.", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid_request_error", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(full[prefill.Length..], instructed.ToString(), StringComparison.Ordinal);
        Assert.True(plain.Content[0].TryPickText(out var plainText));
        Assert.Equal(full, plainText.Text);
        Assert.Equal([400, 200, 200], simulator.Requests.Select(r => r.StatusCode));
        Assert.Equal(["invalid_request", "ok", "ok"], simulator.Requests.Select(r => r.BehaviorName));
        Assert.Equal([ContinuationKind.Prefill, ContinuationKind.Instructed, ContinuationKind.None], simulator.Requests.Select(r => r.Continuation));

        // Other models, and the same model once switched back, still take prefill.
        simulator.Model("claude-no-prefill").RejectPrefill(false);
        var accepted = await client.Messages.Create(AnthropicParams("claude-no-prefill", prefill), TestToken);
        Assert.True(accepted.Content[0].TryPickText(out var rest));
        Assert.Equal(full, prefill + rest.Text);
    }

    [Fact]
    public async Task LoadScript_RejectPrefill_AppliesAndRejectsNonBooleans()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.LoadScript("""{"models":{"claude-sim":{"rejectPrefill":true}}}""");
        var full = simulator.ExpectedReply("claude-sim", Question);

        var error = await Assert.ThrowsAsync<AnthropicBadRequestException>(
            () => SimulatorClients.Anthropic(simulator).Messages.Create(AnthropicParams("claude-sim", FirstTokens(full, 3)), TestToken));

        Assert.Contains("does not support assistant message prefill", error.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<FormatException>(() => simulator.LoadScript("""{"models":{"m":{"rejectPrefill":1}}}"""));
        Assert.Contains("rejectPrefill", bad.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(20)]
    public async Task AnthropicCreateStreaming_PrefillOfFirstTokens_StreamsExactlyTheRest(int tokens)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var client = SimulatorClients.Anthropic(simulator);
        var full = simulator.ExpectedReply("claude-sim", Question);
        var prefill = FirstTokens(full, tokens);
        var text = new StringBuilder();
        var deltas = 0;
        string? stopReason = null;

        await foreach (var streamEvent in client.Messages.CreateStreaming(AnthropicParams("claude-sim", prefill), TestToken))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
            {
                deltas++;
                text.Append(textDelta.Text);
            }
            else if (streamEvent.TryPickDelta(out var messageDelta))
            {
                stopReason = messageDelta.Delta.StopReason?.Raw();
            }
        }

        Assert.Equal(full, prefill + text);
        Assert.Equal(24 - tokens, deltas);
        Assert.Equal("end_turn", stopReason);
    }

    [Fact]
    public async Task AnthropicCreate_PrefillCutInsideAWord_ReturnsTheRestOfThatWordFirst()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var client = SimulatorClients.Anthropic(simulator);
        var full = simulator.ExpectedReply("claude-sim", Question);
        var cut = FirstTokens(full, 6).Length + 3;

        var message = await client.Messages.Create(AnthropicParams("claude-sim", full[..cut]), TestToken);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(full[cut..], text.Text);
        Assert.NotEqual(' ', text.Text[0]);
    }

    [Fact]
    public async Task AnthropicCreate_PrefillEndingInWhitespace_IsRejectedAsAnthropicDoes()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var client = SimulatorClients.Anthropic(simulator);
        var full = simulator.ExpectedReply("claude-sim", Question);

        var error = await Assert.ThrowsAsync<AnthropicBadRequestException>(
            () => client.Messages.Create(AnthropicParams("claude-sim", FirstTokens(full, 3) + " "), TestToken));

        Assert.Contains("trailing whitespace", error.Message, StringComparison.Ordinal);
        var recorded = Assert.Single(simulator.Requests);
        Assert.Equal(400, recorded.StatusCode);
        Assert.Equal("invalid_request", recorded.BehaviorName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(23)]
    public async Task OpenAICompleteChatStreaming_PrefixFlag_StreamsExactlyTheRest(int tokens)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var client = SimulatorClients.OpenAI(simulator, "deepseek-sim");
        var full = simulator.ExpectedReply("deepseek-sim", Question);
        var prefix = FirstTokens(full, tokens) + " ";
        var text = new StringBuilder();
        ChatFinishReason? finish = null;

        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(Question), PrefixMessage(prefix)], cancellationToken: TestToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(full, prefix + text);
        Assert.Equal(ChatFinishReason.Stop, finish);
        var recorded = Assert.Single(simulator.Requests);
        Assert.Equal(ContinuationKind.Prefix, recorded.Continuation);
        Assert.Equal(24 - tokens, recorded.ContentTokensSent);
        Assert.True(recorded.Body["messages"]![1]!["prefix"]!.GetValue<bool>());
    }

    [Fact]
    public async Task OpenAICompleteChat_PrefixFlagOnEchoingModel_AnswersWithPrefixThenRest()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.Model("mistral-sim").EchoPrefix();
        var client = SimulatorClients.OpenAI(simulator, "mistral-sim");
        var full = simulator.ExpectedReply("mistral-sim", Question);
        var prefix = FirstTokens(full, 4);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(Question), PrefixMessage(prefix)], cancellationToken: TestToken);

        Assert.Equal(full, completion.Content[0].Text);
    }

    [Fact]
    public async Task OpenAICompleteChat_BetaPath_ServesPrefixCompletion()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var client = new ChatClient("deepseek-sim", new ApiKeyCredential("k"), new global::OpenAI.OpenAIClientOptions
        {
            Endpoint = new Uri(simulator.BaseUri, "beta/"),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0),
        });
        var full = simulator.ExpectedReply("deepseek-sim", Question);
        var prefix = FirstTokens(full, 10);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(Question), PrefixMessage(prefix)], cancellationToken: TestToken);

        Assert.Equal(full, prefix + completion.Content[0].Text);
    }

    [Fact]
    public async Task OpenAICompleteChat_PrefixOnlyOnBeta_RejectsPrefixOnV1AndServesItOnBeta()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.LoadScript("""{"models":{"deepseek-sim":{"prefixOnlyOnBeta":true}}}""");
        var full = simulator.ExpectedReply("deepseek-sim", Question);
        var prefix = FirstTokens(full, 10);
        var beta = new ChatClient("deepseek-sim", new ApiKeyCredential("k"), new global::OpenAI.OpenAIClientOptions
        {
            Endpoint = new Uri(simulator.BaseUri, "beta/"),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0),
        });

        var error = await Assert.ThrowsAsync<ClientResultException>(
            () => SimulatorClients.OpenAI(simulator, "deepseek-sim").CompleteChatAsync([new UserChatMessage(Question), PrefixMessage(prefix)], cancellationToken: TestToken));
        ChatCompletion completion = await beta.CompleteChatAsync([new UserChatMessage(Question), PrefixMessage(prefix)], cancellationToken: TestToken);
        ChatCompletion plain = await SimulatorClients.OpenAI(simulator, "deepseek-sim").CompleteChatAsync([new UserChatMessage(Question)], cancellationToken: TestToken);

        Assert.Equal(400, error.Status);
        Assert.Contains("prefix is only available when using beta api", error.Message, StringComparison.Ordinal);
        Assert.Equal(full, prefix + completion.Content[0].Text);
        Assert.Equal(full, plain.Content[0].Text);
        Assert.Equal(["invalid_request", "ok", "ok"], simulator.Requests.Select(r => r.BehaviorName));
    }

    [Fact]
    public async Task OpenAICompleteChat_TrailingAssistantWithoutPrefixFlag_IsHistoryNotContinuation()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var client = SimulatorClients.OpenAI(simulator, "gpt-sim");
        var full = simulator.ExpectedReply("gpt-sim", Question);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(Question), new AssistantChatMessage(FirstTokens(full, 3))], cancellationToken: TestToken);

        Assert.Equal(full, completion.Content[0].Text);
        Assert.Equal(ContinuationKind.None, Assert.Single(simulator.Requests).Continuation);
    }

    [Fact]
    public async Task CompleteChat_PrefixAfterToolResults_ContinuesTheAnswerThatMentionsTheResults()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var client = SimulatorClients.OpenAI(simulator, "deepseek-sim");
        List<global::OpenAI.Chat.ChatMessage> history =
        [
            new UserChatMessage(Question),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_1", "get_tide", BinaryData.FromString("""{"port":"Brest"}"""))]),
            new ToolChatMessage("call_1", "high at 14:05"),
        ];
        ChatCompletion whole = await client.CompleteChatAsync(history, cancellationToken: TestToken);
        var full = whole.Content[0].Text;
        var prefix = full[..40];

        ChatCompletion rest = await client.CompleteChatAsync([.. history, PrefixMessage(prefix)], cancellationToken: TestToken);

        Assert.StartsWith("The tool get_tide returned: high at 14:05.", full, StringComparison.Ordinal);
        Assert.Equal(full, prefix + rest.Content[0].Text);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task Instructed_ManyCutPoints_AnswerIsRepeatedLastWordsThenExactlyTheRest(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        const string Model = "instructed-sim";
        var full = simulator.ExpectedReply(Model, Question);
        var client = SimulatorClients.Chat(simulator, wire, Model);
        var repeatedLengths = new HashSet<int>();

        for (var cut = 1; cut < full.Length; cut += 7)
        {
            var partial = full[..cut];
            var response = await client.GetResponseAsync(
                [new(Microsoft.Extensions.AI.ChatRole.User, Question), new(Microsoft.Extensions.AI.ChatRole.User, ContinuationInstruction.Build(partial))],
                cancellationToken: TestToken);

            var rest = full[cut..];
            Assert.EndsWith(rest, response.Text, StringComparison.Ordinal);
            var repeated = response.Text[..^rest.Length];
            Assert.EndsWith(repeated, partial, StringComparison.Ordinal);
            var start = partial.Length - repeated.Length;
            Assert.True(start == 0 || (partial[start - 1] == ' ' && partial[start] != ' ') || repeated.Length == 0, $"'{repeated}' does not start a word of '{partial}'.");
            Assert.True(repeated.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length <= 3, repeated);
            repeatedLengths.Add(repeated.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        }

        // The seeded overlap varies: some answers repeat nothing, some repeat words.
        Assert.Contains(0, repeatedLengths);
        Assert.True(repeatedLengths.Count >= 3, string.Join(",", repeatedLengths));
        Assert.All(simulator.Requests, r => Assert.Equal(ContinuationKind.Instructed, r.Continuation));
        Assert.All(simulator.Requests, r => Assert.Equal(Question, r.LastUserMessage));
    }

    [Fact]
    public void ContinuationInstruction_BuildThenParse_RoundTripsAnyText()
    {
        foreach (var partial in new[] { "", "x", "line one\nline two\n", "</partial_reply> inside", "  spaces  " })
        {
            Assert.True(ContinuationInstruction.TryParse(ContinuationInstruction.Build(partial), out var parsed));
            Assert.Equal(partial, parsed);
        }

        Assert.False(ContinuationInstruction.TryParse("Please continue: abc", out _));
        Assert.False(ContinuationInstruction.TryParse(null, out _));
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task PrefillStream_DropAfterN_SendsNTokensOfTheRestThenDrops(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        const string Model = "drop-sim";
        simulator.Model(Model).Then(SimulatedBehavior.DropAfter(3));
        var full = simulator.ExpectedReply(Model, Question);
        var partial = FirstTokens(full, 10);
        var text = new StringBuilder();
        Exception? error = null;

        try
        {
            if (wire == WireFormat.Anthropic)
            {
                await foreach (var streamEvent in SimulatorClients.Anthropic(simulator).Messages.CreateStreaming(AnthropicParams(Model, partial), TestToken))
                {
                    if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
                    {
                        text.Append(textDelta.Text);
                    }
                }
            }
            else
            {
                await foreach (var update in SimulatorClients.OpenAI(simulator, Model).CompleteChatStreamingAsync([new UserChatMessage(Question), PrefixMessage(partial)], cancellationToken: TestToken))
                {
                    foreach (var part in update.ContentUpdate)
                    {
                        text.Append(part.Text);
                    }
                }
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            error = exception;
        }

        Assert.True(SimulatorClients.HasIOException(error), SimulatorClients.Chain(error));
        Assert.Equal(FirstTokens(full, 13), partial + text);
        await simulator.WaitForRequestsToEndAsync(TestToken);
        var recorded = Assert.Single(simulator.Requests);
        Assert.Equal(3, recorded.ContentTokensSent);
        Assert.False(recorded.Aborted);
        Assert.True(recorded.Ended);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI)]
    [InlineData(WireFormat.Anthropic)]
    public async Task PrefillStream_StallThenResume_StillEndsWithExactlyTheRest(WireFormat wire)
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        const string Model = "stall-sim";
        simulator.Model(Model).Then(SimulatedBehavior.Stall(2, TimeSpan.FromMilliseconds(30)));
        var full = simulator.ExpectedReply(Model, Question);
        var partial = FirstTokens(full, 5);
        var client = SimulatorClients.Chat(simulator, wire, Model);
        var last = wire == WireFormat.Anthropic
            ? new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, partial)
            : new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, partial) { RawRepresentation = PrefixMessage(partial) };
        var text = new StringBuilder();
        Microsoft.Extensions.AI.ChatFinishReason? finish = null;

        await foreach (var update in client.GetStreamingResponseAsync([new(Microsoft.Extensions.AI.ChatRole.User, Question), last], cancellationToken: TestToken))
        {
            text.Append(update.Text);
            finish ??= update.FinishReason;
        }

        Assert.Equal(full, partial + text);
        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.Stop, finish);
    }

    [Fact]
    public async Task PrefillStream_TruncateAfterN_EndsWithoutFinishAfterNTokensOfTheRest()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        const string Model = "truncate-sim";
        simulator.Model(Model).Then(SimulatedBehavior.TruncateAfter(4));
        var full = simulator.ExpectedReply(Model, Question);
        var partial = FirstTokens(full, 2);
        var client = SimulatorClients.Chat(simulator, WireFormat.Anthropic, Model);
        var text = new StringBuilder();
        Microsoft.Extensions.AI.ChatFinishReason? finish = null;

        await foreach (var update in client.GetStreamingResponseAsync([new(Microsoft.Extensions.AI.ChatRole.User, Question), new(Microsoft.Extensions.AI.ChatRole.Assistant, partial)], cancellationToken: TestToken))
        {
            text.Append(update.Text);
            finish ??= update.FinishReason;
        }

        Assert.Equal(FirstTokens(full, 6), partial + text);
        Assert.Null(finish);
    }

    [Fact]
    public async Task AdminRequests_ContinuationRequest_ListsContinuationKind()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        var full = simulator.ExpectedReply("claude-sim", Question);
        await SimulatorClients.Anthropic(simulator).Messages.Create(AnthropicParams("claude-sim", FirstTokens(full, 2)), TestToken);
        using var http = SimulatorClients.Http(simulator);

        var list = JsonNode.Parse(await http.GetStringAsync("_sim/requests", TestToken))!.AsArray();

        var entry = Assert.Single(list)!;
        Assert.Equal("Prefill", entry["continuation"]!.GetValue<string>());
        Assert.False(entry["aborted"]!.GetValue<bool>());
        Assert.True(entry["ended"]!.GetValue<bool>());
    }

    [Fact]
    public async Task LoadScript_EchoPrefix_AppliesAndRejectsNonBooleans()
    {
        await using var simulator = await ProviderSimulator.StartAsync(cancellationToken: TestToken);
        simulator.LoadScript("""{"models":{"mistral-sim":{"echoPrefix":true}}}""");
        var full = simulator.ExpectedReply("mistral-sim", Question);
        ChatCompletion completion = await SimulatorClients.OpenAI(simulator, "mistral-sim")
            .CompleteChatAsync([new UserChatMessage(Question), PrefixMessage(FirstTokens(full, 3))], cancellationToken: TestToken);

        Assert.Equal(full, completion.Content[0].Text);
        var error = Assert.Throws<FormatException>(() => simulator.LoadScript("""{"models":{"m":{"echoPrefix":"yes"}}}"""));
        Assert.Contains("echoPrefix", error.Message, StringComparison.Ordinal);
    }
}
