using Microsoft.Playwright;
using OpenAI.Chat;
using SkFallback.CircuitBreaking;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser: headless Chromium (Debian's <c>chromium</c>) driven by Playwright. Signing in, no
/// console error, an outage staged through the simulator showing the breaker open in the first refresh after it
/// opened, and the fallback in the event list. The screenshot goes to <c>artifacts/ci/dashboard.png</c>.
/// </summary>
public sealed class DashboardBrowserTests : IClassFixture<DashboardFixture>
{
    private readonly DashboardFixture _fixture;

    public DashboardBrowserTests(DashboardFixture fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dashboard_OutageStaged_BreakerOpenInTheNextRefreshAndTheFallbackListed()
    {
        var chromium = ChromiumPath();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);

        await page.GotoAsync(_fixture.BaseUri.ToString());
        await page.FillAsync("#key", DashboardFixture.AdminKey);
        await page.ClickAsync("#sign-in button[type=submit]");
        await page.WaitForSelectorAsync("#panels");
        Assert.Equal("Closed", await Circuit(page));

        // The outage: every request to the watched chain's primary fails; two failures open its breaker.
        _fixture.Simulator.Model(DashboardFixture.PrimaryModel).Always(SimulatedBehavior.ServerError(503));
        var chat = _fixture.OpenAI("watched");
        for (var i = 0; i < 3; i++)
        {
            await chat.CompleteChatAsync([new UserChatMessage($"Outage question {i}.")], cancellationToken: Ct);
        }

        var primary = _fixture.Gateway.Catalog.Health().Single(c => c.Chain == "watched").Providers.Single(p => p.Provider == "watched-primary");
        Assert.Equal(CircuitState.Open, primary.Circuit);
        var openedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // The first panels the server renders after that must show it (the page asks every second).
        await page.WaitForFunctionAsync(
            "t => Number(document.querySelector('#summary').dataset.renderedAt) >= t",
            openedAt,
            new() { Timeout = 15_000 });
        Assert.Equal("Open", await Circuit(page));

        var events = page.Locator("details.event");
        Assert.True(await events.CountAsync() >= 1);
        Assert.Contains("CircuitOpen", await events.First.InnerTextAsync(), StringComparison.Ordinal); // the newest: the breaker kept the primary out
        var newest = events.Filter(new() { HasText = "ServerError" }).First; // the calls that met the outage
        await newest.Locator("summary").ClickAsync();
        Assert.Contains("watched-primary", await newest.Locator("table").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("503", await newest.Locator("table").InnerTextAsync(), StringComparison.Ordinal);

        // An expanded event stays expanded through the next refresh.
        var id = await newest.GetAttributeAsync("id");
        var shown = await page.Locator("#summary").GetAttributeAsync("data-rendered-at");
        await page.WaitForFunctionAsync("s => document.querySelector('#summary').dataset.renderedAt !== s", shown, new() { Timeout = 15_000 });
        Assert.True(await page.Locator($"#{id}").EvaluateAsync<bool>("d => d.open"));

        await page.ScreenshotAsync(new() { Path = ScreenshotPath(), FullPage = true });
        Assert.Empty(errors);
    }

    private static Task<string?> Circuit(IPage page) =>
        page.GetAttributeAsync("tr.provider[data-chain='watched'][data-provider='watched-primary']", "data-circuit");

    /// <summary>Debian's chromium, or <c>SKFALLBACK_CHROMIUM</c>; without it the test skips, except under <c>CI=true</c>, where it fails.</summary>
    private static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("SKFALLBACK_CHROMIUM") ?? "/usr/bin/chromium";
        if (File.Exists(path))
        {
            return path;
        }

        var reason = $"no Chromium at {path} (apt-get install chromium; .ci/run installs it; or set SKFALLBACK_CHROMIUM)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason);
        }

        Assert.Skip(reason);
        return path;
    }

    /// <summary><c>artifacts/ci/dashboard.png</c> under the repository root (found from the test's folder), kept with CI's artifacts.</summary>
    private static string ScreenshotPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SkFallback.sln")))
        {
            directory = directory.Parent;
        }

        var folder = Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, "artifacts", "ci");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, "dashboard.png");
    }
}
