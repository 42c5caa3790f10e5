using Microsoft.Extensions.Options;
using SkFallback.Events;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Events;

/// <summary>The event log's options are checked at startup, naming the key at fault.</summary>
public class FallbackEventOptionsTests
{
    [Fact]
    public void Validate_RatesAndSizesOutOfRange_NameEachKey()
    {
        var options = Chain.Options(new TestChatClient("a"));
        options.Events.SampleRate = 1.5;
        options.Events.Tenants["acme"] = new FallbackEventTenantOptions { FallbackSampleRate = -0.1 };
        options.Events.MaxFileBytes = 10;
        options.Events.QueueCapacity = 0;
        options.Events.FilePrefix = "a/b";

        var error = Assert.Throws<OptionsValidationException>(() => FallbackOptionsValidator.ThrowIfInvalid(options));

        Assert.Contains("SkFallback:Events:SampleRate must be between 0 and 1 (was 1.5)", error.Message, StringComparison.Ordinal);
        Assert.Contains("SkFallback:Events:Tenants:acme:FallbackSampleRate", error.Message, StringComparison.Ordinal);
        Assert.Contains("SkFallback:Events:MaxFileBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("SkFallback:Events:QueueCapacity", error.Message, StringComparison.Ordinal);
        Assert.Contains("SkFallback:Events:FilePrefix", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Defaults_Pass()
    {
        var options = Chain.Options(new TestChatClient("a"));

        FallbackOptionsValidator.ThrowIfInvalid(options);

        Assert.Equal(0.01, options.Events.SampleRate);
        Assert.Equal(1.0, options.Events.FallbackSampleRate);
    }
}
