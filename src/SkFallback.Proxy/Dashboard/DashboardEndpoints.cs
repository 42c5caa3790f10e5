using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SkFallback.Proxy.Dashboard;

/// <summary>
/// The dashboard's endpoints: <c>GET /</c> (the page, or the sign-in form), <c>POST /dashboard/login</c>,
/// <c>GET /dashboard/panels</c> (what the page fetches to refresh itself) and <c>POST /dashboard/logout</c>. Every
/// response forbids framing and caching and allows only its own nonce's script and styles.
/// </summary>
internal sealed class DashboardEndpoints
{
    private readonly DashboardSessions _sessions;
    private readonly DashboardData _data;
    private readonly int _refreshSeconds;

    /// <summary>Initializes a new instance of the <see cref="DashboardEndpoints"/> class.</summary>
    /// <param name="sessions">Who is signed in.</param>
    /// <param name="data">What the dashboard shows.</param>
    /// <param name="refreshSeconds">How often the page refreshes itself.</param>
    public DashboardEndpoints(DashboardSessions sessions, DashboardData data, int refreshSeconds)
    {
        _sessions = sessions;
        _data = data;
        _refreshSeconds = refreshSeconds;
    }

    /// <summary>Maps the endpoints.</summary>
    /// <param name="routes">The app.</param>
    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", PageAsync);
        routes.MapPost("/dashboard/login", SignInAsync);
        routes.MapGet("/dashboard/panels", PanelsAsync);
        routes.MapPost("/dashboard/logout", SignOut);
    }

    private Task PageAsync(HttpContext context)
    {
        var nonce = Nonce();
        return SignedIn(context)
            ? WriteAsync(context, 200, nonce, DashboardPage.Page(_data.Read(), nonce, _refreshSeconds))
            : WriteAsync(context, 200, nonce, DashboardPage.SignIn(nonce, failed: false));
    }

    private async Task SignInAsync(HttpContext context)
    {
        string? presented = null;
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            presented = form["key"].ToString();
        }

        if (!_sessions.TrySignIn(presented, out var token))
        {
            var nonce = Nonce();
            await WriteAsync(context, 200, nonce, DashboardPage.SignIn(nonce, failed: true)).ConfigureAwait(false);
            return;
        }

        context.Response.Cookies.Append(DashboardSessions.CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            MaxAge = DashboardSessions.Lifetime,
        });
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = "/";
    }

    private Task PanelsAsync(HttpContext context)
    {
        if (!SignedIn(context))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        }

        var html = new StringBuilder(16 * 1024);
        DashboardPage.Panels(html, _data.Read());
        return WriteAsync(context, 200, nonce: null, html.ToString());
    }

    private void SignOut(HttpContext context)
    {
        _sessions.SignOut(context.Request.Cookies[DashboardSessions.CookieName]);
        context.Response.Cookies.Delete(DashboardSessions.CookieName, new CookieOptions { Path = "/" });
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = "/";
    }

    private bool SignedIn(HttpContext context) => _sessions.IsSignedIn(context.Request.Cookies[DashboardSessions.CookieName]);

    private static string Nonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    private static Task WriteAsync(HttpContext context, int status, string? nonce, string html)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.ContentSecurityPolicy = nonce is null
            ? "default-src 'none'; frame-ancestors 'none'"
            : $"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
        return response.WriteAsync(html, Encoding.UTF8, context.RequestAborted);
    }
}
