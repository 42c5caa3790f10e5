using System.ClientModel.Primitives;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using SkFallback.Streaming;

namespace SkFallback.Tests.Streaming;

public sealed class ContinuationRequestBuilderTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "Be brief."),
        new(ChatRole.User, "Tell me about tides."),
    ];

    [Fact]
    public void Build_AssistantPrefill_AppendsAssistantMessageWithoutTrailingWhitespace()
    {
        var request = ContinuationRequestBuilder.Build(Conversation, null, "Tides rise twice ", ContinuationMode.AssistantPrefill);

        Assert.Equal(3, request.Messages.Count);
        var last = request.Messages[^1];
        Assert.Equal(ChatRole.Assistant, last.Role);
        Assert.Equal("Tides rise twice", last.Text);
        Assert.Equal("Tides rise twice", request.Prefix);
        Assert.Null(last.RawRepresentation);
        Assert.False(request.DetectRepetition);
        Assert.Equal(string.Empty, request.ExpectedEcho);
        Assert.Equal("Tides rise twice ", request.Delivered);
    }

    [Theory]
    [InlineData(ContinuationMode.PrefixCompletion, "")]
    [InlineData(ContinuationMode.PrefixCompletionEchoed, "Tides rise twice ")]
    public void Build_PrefixCompletion_SendsThePrefixFlagThroughTheOpenAIMessage(ContinuationMode mode, string echo)
    {
        var request = ContinuationRequestBuilder.Build(Conversation, null, "Tides rise twice ", mode);

        var last = request.Messages[^1];
        Assert.Equal(ChatRole.Assistant, last.Role);
        Assert.Equal("Tides rise twice ", last.Text);
        var raw = Assert.IsType<OpenAI.Chat.AssistantChatMessage>(last.RawRepresentation);
        var json = JsonNode.Parse(((IPersistableModel<OpenAI.Chat.ChatMessage>)raw).Write(ModelReaderWriterOptions.Json))!;
        Assert.True(json["prefix"]!.GetValue<bool>());
        Assert.Equal("assistant", json["role"]!.GetValue<string>());
        Assert.Equal(echo, request.ExpectedEcho);
        Assert.False(request.DetectRepetition);
    }

    [Fact]
    public void Build_Instructed_AppendsTheContinuationPrompt()
    {
        var request = ContinuationRequestBuilder.Build(Conversation, null, "Tides rise", ContinuationMode.Instructed);

        var last = request.Messages[^1];
        Assert.Equal(ChatRole.User, last.Role);
        Assert.Equal(ContinuationPrompt.Build("Tides rise"), last.Text);
        Assert.True(request.DetectRepetition);
        Assert.Equal(string.Empty, request.Prefix);
    }

    [Theory]
    [InlineData(ContinuationMode.AssistantPrefill)]
    [InlineData(ContinuationMode.PrefixCompletion)]
    [InlineData(ContinuationMode.Instructed)]
    public void Build_NothingVisibleDelivered_AsksAgainWithTheOriginalMessages(ContinuationMode mode)
    {
        var request = ContinuationRequestBuilder.Build(Conversation, null, " \n", mode);

        Assert.Equal(Conversation, request.Messages);
        Assert.Equal(ContinuationMode.Instructed, request.Mode);
    }

    [Fact]
    public void Build_Options_AreCopiedAndNeverChanged()
    {
        var options = new ChatOptions { MaxOutputTokens = 100, Temperature = 0.2f };
        var messages = new List<ChatMessage>(Conversation);

        var request = ContinuationRequestBuilder.Build(messages, options, "Tides", ContinuationMode.AssistantPrefill);

        Assert.NotSame(options, request.Options);
        Assert.Equal(100, request.Options!.MaxOutputTokens);
        Assert.Equal(0.2f, request.Options.Temperature);
        Assert.Equal(2, messages.Count);
        Assert.Null(ContinuationRequestBuilder.Build(messages, null, "Tides", ContinuationMode.AssistantPrefill).Options);
    }

    [Fact]
    public void Build_UnknownMode_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ContinuationRequestBuilder.Build(Conversation, null, "x", (ContinuationMode)42));

    [Fact]
    public void CreateTrimmer_UsesTheRequestsSeam()
    {
        var request = ContinuationRequestBuilder.Build(Conversation, null, "Tides rise twice ", ContinuationMode.PrefixCompletionEchoed);
        var trimmer = request.CreateTrimmer();

        Assert.Equal("a day", trimmer.Push("Tides rise twice a day"));
        Assert.Equal("Tides rise twice ".Length, trimmer.TrimmedLength);
    }

    [Theory]
    [InlineData(ProviderKinds.Anthropic, null, ContinuationMode.AssistantPrefill)]
    [InlineData(ProviderKinds.Mistral, null, ContinuationMode.PrefixCompletionEchoed)]
    [InlineData(ProviderKinds.DeepSeek, "https://api.deepseek.com/beta", ContinuationMode.PrefixCompletion)]
    [InlineData(ProviderKinds.DeepSeek, "https://api.deepseek.com/v1", ContinuationMode.Instructed)]
    [InlineData(ProviderKinds.DeepSeek, null, ContinuationMode.Instructed)]
    [InlineData(ProviderKinds.OpenAI, null, ContinuationMode.Instructed)]
    [InlineData(ProviderKinds.Custom, null, ContinuationMode.Instructed)]
    public void ContinuationModesFor_ProviderKind_PicksWhatTheProviderSupports(string kind, string? endpoint, ContinuationMode expected) =>
        Assert.Equal(expected, ContinuationModes.For(kind, endpoint is null ? null : new Uri(endpoint)));
}
