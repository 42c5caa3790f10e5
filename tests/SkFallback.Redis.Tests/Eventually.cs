namespace SkFallback.Redis.Tests;

/// <summary>Bounded polling: waits for a condition up to a deadline, never sleeps as logic.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            if (condition())
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public static async Task AssertAsync(Func<bool> condition, string because, TimeSpan? timeout = null) =>
        Assert.True(await TrueAsync(condition, timeout), $"Timed out waiting until {because}");
}
