using CsCheck;
using SkFallback.Simulator;
using SkFallback.Streaming;

namespace SkFallback.Tests.Streaming;

public sealed class ContinuationPromptTests
{
    [Fact]
    public void Build_AnyText_IsTheFormatTheSimulatorRecognises()
    {
        Gen.String.Sample(partial =>
        {
            var prompt = ContinuationPrompt.Build(partial);

            Assert.Equal(ContinuationInstruction.Build(partial), prompt);
            Assert.True(ContinuationInstruction.TryParse(prompt, out var parsed));
            Assert.Equal(partial, parsed);
        });
    }

    [Fact]
    public void Constants_MatchTheSimulators()
    {
        Assert.Equal(ContinuationInstruction.Instruction, ContinuationPrompt.Instruction);
        Assert.Equal(ContinuationInstruction.OpeningTag, ContinuationPrompt.OpeningTag);
        Assert.Equal(ContinuationInstruction.ClosingTag, ContinuationPrompt.ClosingTag);
    }

    [Theory]
    [InlineData("")]
    [InlineData("one line")]
    [InlineData("two\nlines\n")]
    [InlineData("text with </partial_reply> inside")]
    public void TryParse_BuiltMessage_ReturnsThePartialAnswer(string partial)
    {
        Assert.True(ContinuationPrompt.TryParse(ContinuationPrompt.Build(partial), out var parsed));
        Assert.Equal(partial, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Please continue: abc")]
    [InlineData(ContinuationPrompt.Instruction)]
    public void TryParse_OtherText_ReturnsFalse(string? message)
    {
        Assert.False(ContinuationPrompt.TryParse(message, out var parsed));
        Assert.Equal(string.Empty, parsed);
    }

    [Fact]
    public void Build_Null_Throws() => Assert.Throws<ArgumentNullException>(() => ContinuationPrompt.Build(null!));
}
