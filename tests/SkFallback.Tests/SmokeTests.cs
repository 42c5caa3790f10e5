namespace SkFallback.Tests;

public class SmokeTests
{
    [Fact]
    public void Smoke_Always_Passes() => Assert.True(true);
}
