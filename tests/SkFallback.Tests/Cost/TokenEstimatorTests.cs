using System.ComponentModel;
using Microsoft.Extensions.AI;
using SkFallback.Cost;

namespace SkFallback.Tests.Cost;

public class TokenEstimatorTests
{
    // The example conversation of OpenAI's cookbook "How to count tokens with tiktoken" (num_tokens_from_messages).
    private static List<ChatMessage> CookbookConversation() =>
    [
        new(ChatRole.System, "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
        new(ChatRole.System, "New synergies will help drive top-line growth.") { AuthorName = "example_user" },
        new(ChatRole.System, "Things working well together will increase revenue.") { AuthorName = "example_assistant" },
        new(ChatRole.System, "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.") { AuthorName = "example_user" },
        new(ChatRole.System, "Let's talk later when we're less busy about how to do better.") { AuthorName = "example_assistant" },
        new(ChatRole.User, "This late pivot means we don't have time to boil the ocean for the client deliverable."),
    ];

    [Theory]
    [InlineData(TokenizerFamily.OpenAIO200k, "hello world", 2)]
    [InlineData(TokenizerFamily.OpenAICl100k, "hello world", 2)]
    [InlineData(TokenizerFamily.OpenAICl100k, "tiktoken is great!", 6)]
    [InlineData(TokenizerFamily.OpenAIO200k, "tiktoken is great!", 6)]
    [InlineData(TokenizerFamily.OpenAIO200k, "", 0)]
    public void CountText_KnownStrings_MatchEncoding(TokenizerFamily family, string text, int expected) =>
        Assert.Equal(expected, TokenEstimator.CountText(family, text));

    [Theory]
    [InlineData(TokenizerFamily.OpenAIO200k)]
    [InlineData(TokenizerFamily.OpenAICl100k)]
    public void CountPromptTokens_OneMessage_AddsMessageRoleAndReplyOverhead(TokenizerFamily family)
    {
        const string text = "What is the capital of France?";
        var count = new TokenEstimator().CountPromptTokens(family, [new ChatMessage(ChatRole.User, text)]);

        var expected = TokenEstimator.TokensPerMessage + TokenEstimator.CountText(family, "user") + TokenEstimator.CountText(family, text) + TokenEstimator.ReplyPrimingTokens;
        Assert.Equal(expected, count);
        Assert.Equal(3 + 1 + TokenEstimator.CountText(family, text) + 3, count);
    }

    [Fact]
    public void CountPromptTokens_AuthorName_AddsNameOverhead()
    {
        var estimator = new TokenEstimator();
        var plain = estimator.CountPromptTokens(TokenizerFamily.OpenAIO200k, [new ChatMessage(ChatRole.User, "hi")]);
        var named = estimator.CountPromptTokens(TokenizerFamily.OpenAIO200k, [new ChatMessage(ChatRole.User, "hi") { AuthorName = "alice" }]);

        Assert.Equal(plain + TokenEstimator.TokensPerName + TokenEstimator.CountText(TokenizerFamily.OpenAIO200k, "alice"), named);
    }

    [Fact]
    public void CountPromptTokens_NoMessages_CountsReplyPrimingOnly() =>
        Assert.Equal(TokenEstimator.ReplyPrimingTokens, new TokenEstimator().CountPromptTokens(TokenizerFamily.OpenAIO200k, []));

    [Theory]
    [InlineData("gpt-4-0613", 129)] // cl100k_base; the cookbook's published count for gpt-3.5-turbo / gpt-4-0613
    [InlineData("gpt-4o-2024-08-06", 124)] // o200k_base; the cookbook's published count for gpt-4o
    [InlineData("gpt-4o-mini-2024-07-18", 124)]
    public void EstimatePromptTokens_OpenAICookbookConversation_MatchesPublishedCount(string model, int expected) =>
        Assert.Equal(expected, new TokenEstimator().EstimatePromptTokens(model, CookbookConversation()));

    [Theory]
    [InlineData("gpt-4o-2024-08-06", TokenizerFamily.OpenAIO200k)]
    [InlineData("gpt-4o-mini-2024-07-18", TokenizerFamily.OpenAIO200k)]
    [InlineData("gpt-4.1-2025-04-14", TokenizerFamily.OpenAIO200k)]
    [InlineData("o1-2024-12-17", TokenizerFamily.OpenAIO200k)]
    [InlineData("o3-mini-2025-01-31", TokenizerFamily.OpenAIO200k)]
    [InlineData("o4-mini-2025-04-16", TokenizerFamily.OpenAIO200k)]
    [InlineData("openai/gpt-4o-2024-08-06", TokenizerFamily.OpenAIO200k)]
    [InlineData("gpt-4-0613", TokenizerFamily.OpenAICl100k)]
    [InlineData("gpt-4-turbo-2024-04-09", TokenizerFamily.OpenAICl100k)]
    [InlineData("gpt-3.5-turbo-0125", TokenizerFamily.OpenAICl100k)]
    [InlineData("claude-haiku-4-5-20251001", TokenizerFamily.Anthropic)]
    [InlineData("gemini-2.5-flash", TokenizerFamily.Gemini)]
    [InlineData("mistral-small-2503", TokenizerFamily.Mistral)]
    [InlineData("codestral-2501", TokenizerFamily.Mistral)]
    [InlineData("deepseek-chat", TokenizerFamily.DeepSeek)]
    [InlineData("qwen-plus-2025-01-25", TokenizerFamily.Qwen)]
    [InlineData("llama-3.1-8b", TokenizerFamily.Unknown)]
    public void FamilyOf_ModelId_SelectsFamily(string model, TokenizerFamily expected) =>
        Assert.Equal(expected, TokenEstimator.FamilyOf(model));

    [Theory]
    [InlineData(TokenizerFamily.OpenAIO200k, "o200k_base")]
    [InlineData(TokenizerFamily.OpenAICl100k, "cl100k_base")]
    [InlineData(TokenizerFamily.Anthropic, "cl100k_base")]
    [InlineData(TokenizerFamily.Gemini, "o200k_base")]
    [InlineData(TokenizerFamily.Unknown, "o200k_base")]
    public void EncodingOf_Family_NamesEncoding(TokenizerFamily family, string expected) =>
        Assert.Equal(expected, TokenEstimator.EncodingOf(family));

    [Fact]
    public void EstimatePromptTokens_DifferentEncodings_CountDifferently()
    {
        // CJK text splits very differently in the two encodings, so the family choice is visible in the count.
        List<ChatMessage> messages = [new(ChatRole.User, "東京の天気はどうですか？明日は雨が降りますか？")];
        var estimator = new TokenEstimator();

        Assert.NotEqual(estimator.EstimatePromptTokens("gpt-4-0613", messages), estimator.EstimatePromptTokens("gpt-4o-2024-08-06", messages));
    }

    [Fact]
    public void EstimatePromptTokens_WithTools_CountsFunctionsByCookbookMethod()
    {
        List<ChatMessage> messages = [new(ChatRole.User, "What's the weather in Paris?")];
        var weather = AIFunctionFactory.Create(([Description("The city")] string city, [Description("celsius or fahrenheit")] string unit) => "sunny", "get_weather", "Gets the current weather for a city.");
        var time = AIFunctionFactory.Create((string timeZone) => "12:00", "get_time", "Gets the current time in a time zone.");
        var estimator = new TokenEstimator();

        var none = estimator.EstimatePromptTokens("gpt-4o-2024-08-06", messages);
        var one = estimator.EstimatePromptTokens("gpt-4o-2024-08-06", messages, new ChatOptions { Tools = [weather] });
        var two = estimator.EstimatePromptTokens("gpt-4o-2024-08-06", messages, new ChatOptions { Tools = [weather, time] });

        // The cookbook's function method: 7 per function (o200k), name:description without its final period, 3 for the
        // properties, 3 plus name:type:description per property, and 12 once per request.
        var o = TokenizerFamily.OpenAIO200k;
        Assert.Equal(none + 7 + TokenEstimator.CountText(o, "get_weather:Gets the current weather for a city")
            + 3 + 3 + TokenEstimator.CountText(o, "city:string:The city") + 3 + TokenEstimator.CountText(o, "unit:string:celsius or fahrenheit")
            + 12, one);
        Assert.Equal(one + 7 + TokenEstimator.CountText(o, "get_time:Gets the current time in a time zone") + 3 + 3 + TokenEstimator.CountText(o, "timeZone:string"), two);
        Assert.True(two > one);
        Assert.Equal(one, estimator.EstimatePromptTokens("gpt-4o-2024-08-06", messages, new ChatOptions { Tools = [weather] }));
    }

    [Fact]
    public void EstimatePromptTokens_ImageOfUnknownSize_AddsHighDetailEstimate()
    {
        var estimator = new TokenEstimator();
        var text = estimator.EstimatePromptTokens("gpt-4o-2024-08-06", [new ChatMessage(ChatRole.User, "Describe this.")]);
        var withImage = estimator.EstimatePromptTokens("gpt-4o-2024-08-06",
            [new ChatMessage(ChatRole.User, [new TextContent("Describe this."), new UriContent(new Uri("https://example.com/cat.png"), "image/png")])]);

        Assert.Equal(text + TokenEstimator.TokensPerImage, withImage);
    }

    [Fact]
    public void EstimatePromptTokens_FunctionCallAndResult_CountNameArgumentsAndResult()
    {
        var estimator = new TokenEstimator();
        List<ChatMessage> messages =
        [
            new(ChatRole.User, "Weather?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "sunny and 21 degrees")]),
        ];

        var count = estimator.CountPromptTokens(TokenizerFamily.OpenAIO200k, messages);

        var o = TokenizerFamily.OpenAIO200k;
        var expected = TokenEstimator.ReplyPrimingTokens
            + (3 * TokenEstimator.TokensPerMessage)
            + TokenEstimator.CountText(o, "user") + TokenEstimator.CountText(o, "Weather?")
            + TokenEstimator.CountText(o, "assistant") + TokenEstimator.CountText(o, "get_weather") + TokenEstimator.CountText(o, "{\"city\":\"Paris\"}")
            + TokenEstimator.CountText(o, "tool") + TokenEstimator.CountText(o, "sunny and 21 degrees");
        Assert.Equal(expected, count);
    }

    [Fact]
    public void EstimatePromptTokens_AnthropicModel_ScalesCl100kCountByFamilyCorrection()
    {
        List<ChatMessage> messages = [new(ChatRole.User, "Summarise the quarterly report in three bullet points, please.")];
        var estimator = new TokenEstimator();
        var raw = estimator.CountPromptTokens(TokenizerFamily.Anthropic, messages);

        var estimate = estimator.EstimatePromptTokens("claude-haiku-4-5-20251001", messages);

        Assert.Equal(1.20, TokenEstimator.DefaultCorrection(TokenizerFamily.Anthropic));
        Assert.Equal((int)Math.Ceiling(raw * 1.20), estimate);
        Assert.Equal(raw, estimator.CountPromptTokens(TokenizerFamily.OpenAICl100k, messages));
    }

    [Theory]
    [InlineData("claude-haiku-4-5-20251001", 1.45)]
    [InlineData("gemini-2.5-flash", 0.8)]
    [InlineData("mistral-small-2503", 1.3)]
    [InlineData("gpt-4o-2024-08-06", 1.02)]
    public void Observe_ReportedUsage_EstimateConvergesToReported(string model, double trueRatio)
    {
        var estimator = new TokenEstimator();
        List<ChatMessage> messages = [new(ChatRole.User, "Explain the difference between a mutex and a semaphore, with an example in C#.")];
        var raw = estimator.CountPromptTokens(TokenEstimator.FamilyOf(model), messages);
        var reported = (long)Math.Round(raw * trueRatio);

        for (var i = 0; i < 60; i++)
        {
            var estimate = estimator.EstimatePromptTokens(model, messages);
            estimator.Observe(model, estimate, reported, reportedOutputTokens: null);
        }

        var final = estimator.EstimatePromptTokens(model, messages);
        Assert.InRange(final, reported * 0.98, reported * 1.02 + 1);
    }

    [Fact]
    public void Observe_ExtremeReports_CorrectionStaysWithinBoundsAndStepLimit()
    {
        var estimator = new TokenEstimator();
        const string model = "claude-haiku-4-5-20251001";
        var previous = estimator.CorrectionOf(model);

        for (var i = 0; i < 50; i++)
        {
            estimator.Observe(model, 100, 100_000, null);
            var current = estimator.CorrectionOf(model);
            Assert.True(current - previous <= TokenEstimator.MaxStep + 1e-12, $"step {current - previous}");
            previous = current;
        }

        Assert.Equal(TokenEstimator.MaxCorrection, estimator.CorrectionOf(model));

        for (var i = 0; i < 50; i++)
        {
            estimator.Observe(model, 100_000, 1, null);
        }

        Assert.Equal(TokenEstimator.MinCorrection, estimator.CorrectionOf(model));
    }

    [Fact]
    public void Observe_NonPositiveValues_AreIgnored()
    {
        var estimator = new TokenEstimator();
        estimator.Observe("gpt-4o-2024-08-06", 0, 500, null);
        estimator.Observe("gpt-4o-2024-08-06", 500, 0, -3);

        Assert.Equal(1.0, estimator.CorrectionOf("gpt-4o-2024-08-06"));
        Assert.Equal(estimator.DefaultOutputTokens, estimator.EstimateOutputTokens("gpt-4o-2024-08-06"));
    }

    [Fact]
    public async Task Observe_ConcurrentObservers_CorrectionStaysWithinBounds()
    {
        var estimator = new TokenEstimator();
        const string model = "mistral-small-2503";
        var tasks = Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                estimator.Observe(model, 100, (i + t) % 2 == 0 ? 300 : 40, 200);
                _ = estimator.EstimatePromptTokens(model, [new ChatMessage(ChatRole.User, "hi")]);
            }
        }, TestContext.Current.CancellationToken));

        await Task.WhenAll(tasks);

        Assert.InRange(estimator.CorrectionOf(model), TokenEstimator.MinCorrection, TokenEstimator.MaxCorrection);
        Assert.Equal(200, estimator.EstimateOutputTokens(model));
    }

    [Fact]
    public void EstimateOutputTokens_MaxOutputTokensSet_ReturnsIt() =>
        Assert.Equal(321, new TokenEstimator().EstimateOutputTokens("gpt-4o-2024-08-06", new ChatOptions { MaxOutputTokens = 321 }));

    [Fact]
    public void EstimateOutputTokens_NothingKnown_ReturnsDefault() =>
        Assert.Equal(512, new TokenEstimator(defaultOutputTokens: 512).EstimateOutputTokens("gpt-4o-2024-08-06"));

    [Fact]
    public void EstimateOutputTokens_AfterObservations_ReturnsLearnedAverage()
    {
        var estimator = new TokenEstimator();
        estimator.Observe("gpt-4o-2024-08-06", 100, 100, 400);
        Assert.Equal(400, estimator.EstimateOutputTokens("gpt-4o-2024-08-06"));

        estimator.Observe("gpt-4o-2024-08-06", 100, 100, 900);
        Assert.Equal(500, estimator.EstimateOutputTokens("gpt-4o-2024-08-06")); // 400 + 0.2 × (900 − 400)
        Assert.Equal(estimator.DefaultOutputTokens, estimator.EstimateOutputTokens("gpt-4.1-2025-04-14"));
    }
}
