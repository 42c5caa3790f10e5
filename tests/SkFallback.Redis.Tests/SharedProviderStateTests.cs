using System.Text;
using SkFallback.CircuitBreaking;
using StackExchange.Redis;

namespace SkFallback.Redis.Tests;

public sealed class SharedProviderStateTests
{
    [Fact]
    public void FromMessage_ScriptJson_ReadsEveryField()
    {
        var openUntil = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(7);
        string json = $$"""{"k":"openai/gpt-4o","s":"open","o":"{{openUntil.UtcTicks}}","c":"0","r":"replica-a","v":"1700000000000001"}""";

        var shared = SharedProviderState.FromMessage(Encoding.UTF8.GetBytes(json));

        Assert.NotNull(shared);
        Assert.Equal(new ProviderStateChange("openai/gpt-4o", CircuitState.Open, openUntil, null, "replica-a"), shared.Change);
        Assert.Equal(1700000000000001, shared.Version);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"k":"p/m","s":"half","o":"0","c":"0","r":"a","v":"1"}""")]
    [InlineData("""{"k":"p/m","s":"open","o":"x","c":"0","r":"a","v":"1"}""")]
    [InlineData("""{"s":"open","o":"0","c":"0","r":"a","v":"1"}""")]
    public void FromMessage_Malformed_ReturnsNull(string json) =>
        Assert.Null(SharedProviderState.FromMessage(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void FromHash_ClosedWithCooldown_ReadsIt()
    {
        var cooldown = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        HashEntry[] entries =
        [
            new("state", "closed"), new("openUntil", "0"), new("cooldownUntil", cooldown.UtcTicks.ToString()),
            new("origin", "replica-b"), new("version", "42"), new("expiresAt", "1"),
        ];

        var shared = SharedProviderState.FromHash("p/m", entries);

        Assert.NotNull(shared);
        Assert.Equal(CircuitState.Closed, shared.Change.State);
        Assert.Equal(cooldown, shared.Change.CooldownUntil);
        Assert.Equal(42, shared.Version);
    }

    [Fact]
    public void RedisKeys_PrefixWithGlobCharacters_EscapedInTheScanPattern()
    {
        var keys = new RedisKeys("a*b");

        Assert.Equal("skfallback:a\\*b:provider:*", keys.ProviderPattern);
        Assert.Equal("skfallback:a*b:provider:p/m", (string?)keys.Provider("p/m"));
        Assert.Equal("skfallback:a*b:changes", keys.Channel.ToString());
        Assert.Equal("p/m", keys.ProviderKeyOf("skfallback:a*b:provider:p/m"));
    }
}
