using System.Net;
using OpenAI.Chat;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests.Dashboard;

/// <summary>The dashboard over plain HTTP: signing in, what a signed-out client gets, the headers, and what the panels show after a fallback.</summary>
public sealed class DashboardHttpTests : IClassFixture<DashboardFixture>
{
    private readonly DashboardFixture _fixture;

    public DashboardHttpTests(DashboardFixture fixture)
    {
        _fixture = fixture;
        fixture.Simulator.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Root_SignedOut_ShowsTheSignInFormAndNoData()
    {
        using var http = _fixture.Http();
        using var response = await http.GetAsync("/", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("id=\"sign-in\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("watched-primary", html, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Panels_SignedOut_Is401()
    {
        using var http = _fixture.Http();
        using var response = await http.GetAsync("/dashboard/panels", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sk-skf-test-key-0123456789abcdef")] // a gateway key is not the admin key
    [InlineData("sk-skf-admin-key-fedcba987654321")] // one character short
    public async Task SignIn_WrongKey_NoCookieAndAnError(string key)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _fixture.BaseUri };
        using var response = await http.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("key", key)]), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Contains("id=\"sign-in-error\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_AdminKey_HttpOnlyStrictCookieThatIsNotTheKey()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _fixture.BaseUri };
        using var response = await http.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("key", DashboardFixture.AdminKey)]), Ct);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(DashboardFixture.AdminKey, cookie, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Panels_AfterAFallback_ShowTheBreakerTheEventAndTheSpend()
    {
        using var http = await SignedInAsync();
        _fixture.Simulator.Model(DashboardFixture.PrimaryModel).Always(SimulatedBehavior.ServerError(503));
        var chat = _fixture.OpenAI("watched");
        for (var i = 0; i < 3; i++)
        {
            var answer = await chat.CompleteChatAsync([new UserChatMessage($"Question {i} for the watched chain.")], cancellationToken: Ct);
            Assert.NotEmpty(answer.Value.Content[0].Text);
        }

        var html = await http.GetStringAsync("/dashboard/panels", Ct);

        Assert.Contains("data-chain=\"watched\" data-provider=\"watched-primary\" data-circuit=\"Open\"", html, StringComparison.Ordinal);
        Assert.Contains("data-chain=\"watched\" data-provider=\"watched-backup\" data-circuit=\"Closed\"", html, StringComparison.Ordinal);
        Assert.Contains("class=\"event\"", html, StringComparison.Ordinal);
        Assert.Contains("ServerError", html, StringComparison.Ordinal);
        Assert.Contains("data-owner=\"key\" data-name=\"test\"", html, StringComparison.Ordinal);
        Assert.Contains("data-provider=\"watched-primary\" data-series=\"failures\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFixture.OpenAIUpstreamKey, html, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFixture.Key, html, StringComparison.Ordinal);
    }

    private async Task<HttpClient> SignedInAsync()
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = _fixture.BaseUri };
        using var response = await http.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("key", DashboardFixture.AdminKey)]), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // followed the redirect to the page
        Assert.Contains("id=\"panels\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        return http;
    }
}
