using Microsoft.Extensions.AI;
using SkFallback.Caching;

namespace SkFallback.Tests.Caching;

public sealed class CacheRequestKeyTests
{
    private static List<ChatMessage> Conversation(string last = "How far is the Moon?") =>
    [
        new(ChatRole.System, "You are an astronomy tutor."),
        new(ChatRole.User, "Hi"),
        new(ChatRole.Assistant, "Hello! Ask me anything."),
        new(ChatRole.User, last),
    ];

    private static ChatOptions Options() => new()
    {
        Temperature = 0,
        TopP = 0.9f,
        Seed = 7,
        MaxOutputTokens = 300,
        StopSequences = ["END"],
        Tools = [AIFunctionFactory.Create((string body) => 384400, "distance_km", "Distance to a body in km.")],
        ToolMode = ChatToolMode.Auto,
        ResponseFormat = ChatResponseFormat.Text,
    };

    private static CacheRequestKey Key(List<ChatMessage> messages, ChatOptions? options, string tenant = "", string ns = "skfallback") =>
        CacheRequestKey.Create(messages, options, ns, tenant)!;

    [Fact]
    public void Create_SameRequest_SameKeys()
    {
        var a = Key(Conversation(), Options());
        var b = Key(Conversation(), Options());

        Assert.Equal(a.ExactKey, b.ExactKey);
        Assert.Equal(a.Partition, b.Partition);
        Assert.Equal("How far is the Moon?", a.Prompt);
        Assert.Matches("^[0-9a-f]{64}$", a.ExactKey);
    }

    [Fact]
    public void Create_ModelAndSkFallbackKeysDiffer_SameKeys()
    {
        var plain = Key(Conversation(), Options());
        var options = Options();
        options.ModelId = "claude-haiku-4-5-20251001";
        options.AdditionalProperties = new() { [FallbackMetadataKeys.PreferProvider] = "claude", [CacheMetadataKeys.Deterministic] = true };

        var other = Key(Conversation(), options);

        Assert.Equal(plain.ExactKey, other.ExactKey);
    }

    public static TheoryData<string> Changes() =>
    [
        "system", "history", "instructions", "temperature", "top_p", "seed", "max_tokens", "stop", "tools", "tool_description",
        "tool_schema", "tool_choice", "response_format", "json_schema", "provider_option",
    ];

    [Theory]
    [MemberData(nameof(Changes))]
    public void Create_AnythingButTheLastTurnChanges_PartitionAndExactKeyChange(string change)
    {
        var baseline = Key(Conversation(), Options());
        var messages = Conversation();
        var options = Options();
        switch (change)
        {
            case "system": messages[0] = new ChatMessage(ChatRole.System, "You are a pirate."); break;
            case "history": messages[2] = new ChatMessage(ChatRole.Assistant, "Hey."); break;
            case "instructions": options.Instructions = "Be brief."; break;
            case "temperature": options.Temperature = 0.2f; break;
            case "top_p": options.TopP = 1; break;
            case "seed": options.Seed = 8; break;
            case "max_tokens": options.MaxOutputTokens = 301; break;
            case "stop": options.StopSequences = ["STOP"]; break;
            case "tools": options.Tools = []; break;
            case "tool_description": options.Tools = [AIFunctionFactory.Create((string body) => 384400, "distance_km", "Distance in miles.")]; break;
            case "tool_schema": options.Tools = [AIFunctionFactory.Create((string body, bool miles) => 384400, "distance_km", "Distance to a body in km.")]; break;
            case "tool_choice": options.ToolMode = ChatToolMode.RequireSpecific("distance_km"); break;
            case "response_format": options.ResponseFormat = ChatResponseFormat.Json; break;
            case "json_schema": options.ResponseFormat = ChatResponseFormat.ForJsonSchema<Answer>(); break;
            case "provider_option": options.AdditionalProperties = new() { ["reasoning_effort"] = "high" }; break;
        }

        var changed = Key(messages, options);

        Assert.NotEqual(baseline.Partition, changed.Partition);
        Assert.NotEqual(baseline.ExactKey, changed.ExactKey);
    }

    [Fact]
    public void Create_LastTurnChanges_SamePartitionOtherExactKey()
    {
        var a = Key(Conversation("How far is the Moon?"), Options());
        var b = Key(Conversation("What is the distance to the Moon?"), Options());

        Assert.Equal(a.Partition, b.Partition);
        Assert.NotEqual(a.ExactKey, b.ExactKey);
    }

    [Fact]
    public void Create_TenantOrNamespaceChanges_SamePartitionOtherExactKey()
    {
        var a = Key(Conversation(), Options(), tenant: "acme");
        var b = Key(Conversation(), Options(), tenant: "globex");
        var c = Key(Conversation(), Options(), tenant: "acme", ns: "other");

        Assert.Equal(a.Partition, b.Partition);
        Assert.NotEqual(a.ExactKey, b.ExactKey);
        Assert.NotEqual(a.ExactKey, c.ExactKey);
    }

    [Fact]
    public void Create_RequestEndingInAToolResult_HasNoPromptAndKeysTheWholeHistory()
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.User, "How far is the Moon?"),
            new(ChatRole.Assistant, [new FunctionCallContent("c1", "distance_km", new Dictionary<string, object?> { ["body"] = "moon" })]),
            new(ChatRole.Tool, [new FunctionResultContent("c1", 384400)]),
        ];
        var other = messages.ToList();
        other[2] = new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", 384401)]);

        var a = Key(messages, Options());
        var b = Key(other, Options());

        Assert.Null(a.Prompt);
        Assert.NotEqual(a.ExactKey, b.ExactKey);
    }

    [Fact]
    public void Create_ImageInLastTurn_NoPromptButStillKeyed()
    {
        var withImage = Conversation();
        withImage[^1] = new ChatMessage(ChatRole.User, [new TextContent("What is this?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]);
        var otherImage = Conversation();
        otherImage[^1] = new ChatMessage(ChatRole.User, [new TextContent("What is this?"), new DataContent(new byte[] { 1, 2, 4 }, "image/png")]);

        var a = Key(withImage, Options());

        Assert.Null(a.Prompt);
        Assert.NotEqual(a.ExactKey, Key(otherImage, Options()).ExactKey);
    }

    [Fact]
    public void Create_ServerSideConversation_CannotBeKeyed()
    {
        Assert.Null(CacheRequestKey.Create(Conversation(), new ChatOptions { ConversationId = "conv_1" }, "skfallback", string.Empty));
    }

    private sealed record Answer(string Text, int Km);
}
