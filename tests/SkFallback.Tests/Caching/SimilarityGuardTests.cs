using SkFallback.Caching;

namespace SkFallback.Tests.Caching;

public sealed class SimilarityGuardTests
{
    [Theory]
    [InlineData("Refund order 1234", "Please refund order 1234")]
    [InlineData("Book a table for two at 7", "Reserve a table at 7 for 2 people")]
    [InlineData("What's the weather in Paris?", "Paris weather today?")]
    [InlineData("Convert 100 USD to EUR", "How much is 100 USD in EUR?")]
    [InlineData("Translate \"good morning\" into Spanish", "How do you say \"good morning\" in Spanish?")]
    [InlineData("How do I reset my password?", "What are the steps to reset my password?")]
    [InlineData("Don't include tax in the total", "Leave tax out; do not include it in the total")]
    [InlineData("Send an email to ana@example.com", "Email ana@example.com please")]
    [InlineData("Summarize the article", "Give me a summary of the article")]
    public void Check_SameSpecifics_Accepts(string request, string cached)
    {
        Assert.Equal(SimilarityGuard.Rejection.None, SimilarityGuard.Check(request, cached));
    }

    [Theory]
    [InlineData("Refund order 1234", "Refund order 5678", "Number")]
    [InlineData("Book a table for two", "Book a table for three", "Number")]
    [InlineData("Convert 100 USD to EUR", "Convert 1,000 USD to EUR", "Number")]
    [InlineData("Set a timer for 2.5 minutes", "Set a timer for 25 minutes", "Number")]
    [InlineData("Translate \"good morning\"", "Translate \"good night\"", "Quoted")]
    [InlineData("Search the logs for 'timeout'", "Search the logs for 'refused'", "Quoted")]
    [InlineData("What's the weather in Paris?", "What's the weather in Rome?", "Entity")]
    [InlineData("Compare AWS and Azure pricing", "Compare AWS and GCP pricing", "Entity")]
    [InlineData("Email ana@example.com the report", "Email bob@example.com the report", "Entity")]
    [InlineData("Explain the gpt-4o model", "Explain the o3-mini model", "Number")]
    [InlineData("Explain the Claude model family", "Explain the Gemini model family", "Entity")]
    [InlineData("Paris weather today?", "Rome weather today?", "Entity")]
    [InlineData("Paris weather today?", "What is the weather in Rome today?", "Entity")]
    [InlineData("Is the store open on Sunday?", "Is the store open on Monday?", "Entity")]
    [InlineData("Include tax in the total", "Don't include tax in the total", "Negation")]
    [InlineData("Show flights with a layover", "Show flights without a layover", "Negation")]
    [InlineData("List users who never logged in", "List users who logged in", "Negation")]
    [InlineData("What happened before the merger?", "What happened after the merger?", "Negation")]
    [InlineData("Show the highest rated hotels", "Show the lowest rated hotels", "Negation")]
    public void Check_DifferentSpecifics_RejectsWithTheReason(string request, string cached, string reason)
    {
        var expected = Enum.Parse<SimilarityGuard.Rejection>(reason);
        Assert.Equal(expected, SimilarityGuard.Check(request, cached));
        Assert.Equal(expected, SimilarityGuard.Check(cached, request));
    }

    [Fact]
    public void Numbers_WordsAndDigitsNormalised()
    {
        Assert.Equal(SimilarityGuard.Numbers("two tickets for 2"), SimilarityGuard.Numbers("2 tickets, two"));
        Assert.Equal(["1000", "3.5"], SimilarityGuard.Numbers("1,000 at 3.50"));
    }
}
