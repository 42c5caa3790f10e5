using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using SkFallback.CircuitBreaking;
using SkFallback.Health;

namespace SkFallback.Proxy.Dashboard;

/// <summary>
/// Renders the dashboard as HTML on the server: the page shell (styles and the small refresh script, both under a
/// per-response CSP nonce) and the panels it refreshes (providers, traffic chart, spend, fallbacks, last evaluation).
/// Every value from outside (provider names, details, tenants) is HTML-encoded.
/// </summary>
internal static class DashboardPage
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>The whole page.</summary>
    /// <param name="view">What to show.</param>
    /// <param name="nonce">The response's CSP nonce.</param>
    /// <param name="refreshSeconds">How often the panels refresh themselves.</param>
    /// <returns>The HTML.</returns>
    public static string Page(DashboardView view, string nonce, int refreshSeconds)
    {
        var html = new StringBuilder(16 * 1024);
        Head(html, nonce, "SkFallback gateway");
        html.Append("<header><h1>SkFallback gateway</h1><span>refreshed <time id=\"refreshed\">")
            .Append(Html.Encode(view.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)))
            .Append(CultureInfo.InvariantCulture, $" UTC</time>, every {refreshSeconds} s</span>")
            .Append("<form method=\"post\" action=\"dashboard/logout\"><button type=\"submit\">Sign out</button></form></header>");
        html.Append("<main id=\"panels\">");
        Panels(html, view);
        html.Append("</main>");
        html.Append(CultureInfo.InvariantCulture, $"<script nonce=\"{nonce}\">{RefreshScript(refreshSeconds)}</script></body></html>");
        return html.ToString();
    }

    /// <summary>The sign-in page.</summary>
    /// <param name="nonce">The response's CSP nonce.</param>
    /// <param name="failed">Whether a wrong key was just presented.</param>
    /// <returns>The HTML.</returns>
    public static string SignIn(string nonce, bool failed)
    {
        var html = new StringBuilder(2048);
        Head(html, nonce, "SkFallback gateway: sign in");
        html.Append("<main><h1>SkFallback gateway</h1><form method=\"post\" action=\"dashboard/login\" id=\"sign-in\">")
            .Append("<label for=\"key\">Admin key</label> <input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"current-password\" required> ")
            .Append("<button type=\"submit\">Sign in</button></form>");
        if (failed)
        {
            html.Append("<p class=\"error\" id=\"sign-in-error\">That is not the admin key.</p>");
        }

        html.Append("</main></body></html>");
        return html.ToString();
    }

    /// <summary>The panels alone (what the page fetches to refresh itself).</summary>
    /// <param name="html">Where they go.</param>
    /// <param name="view">What to show.</param>
    public static void Panels(StringBuilder html, DashboardView view)
    {
        Summary(html, view);
        Providers(html, view.Health);
        html.Append("<section id=\"traffic\"><h2>Attempts per provider</h2>");
        TrafficChart.Write(html, view.Traffic, view.Buckets);
        html.Append("</section>");
        DashboardSpend.Write(html, view.Spend);
        Fallbacks(html, view.Fallbacks);
        DashboardEval.Write(html, view.Eval);
    }

    private static void Head(StringBuilder html, string nonce, string title)
    {
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Html.Encode(title)).Append("</title><link rel=\"icon\" href=\"data:,\">")
            .Append(CultureInfo.InvariantCulture, $"<style nonce=\"{nonce}\">{Styles}</style></head><body>");
    }

    private static void Summary(StringBuilder html, DashboardView view) =>
        html.Append(CultureInfo.InvariantCulture, $"<section id=\"summary\" data-rendered-at=\"{view.Now.ToUnixTimeMilliseconds()}\"><p><strong id=\"calls\">{view.Calls}</strong> calls since start, <strong id=\"fallbacks\">{view.FallbackCount}</strong> fell back, were continued or failed.</p></section>");

    private static void Providers(StringBuilder html, IReadOnlyList<(string Chain, IReadOnlyList<ProviderHealthSnapshot> Providers)> health)
    {
        html.Append("<section id=\"providers\"><h2>Providers</h2><table><thead><tr><th>chain</th><th>provider</th><th>model</th><th>breaker</th><th>failures in a row</th><th>error rate</th><th>p50</th><th>p95</th><th>first token p50</th><th>last failure</th></tr></thead><tbody>");
        foreach (var (chain, providers) in health)
        {
            foreach (var p in providers)
            {
                var circuit = p.Circuit.ToString();
                html.Append(CultureInfo.InvariantCulture, $"<tr class=\"provider\" data-chain=\"{Html.Encode(chain)}\" data-provider=\"{Html.Encode(p.Provider)}\" data-circuit=\"{circuit}\">")
                    .Append("<td>").Append(Html.Encode(chain)).Append("</td><td>").Append(Html.Encode(p.Provider)).Append("</td><td>").Append(Html.Encode(p.Model)).Append("</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td class=\"circuit {(p.Circuit == CircuitState.Closed ? "ok" : "bad")}\">{circuit}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{p.ConsecutiveFailures}</td><td>{p.ErrorRate:P0}</td><td>{Millis(p.LatencyP50)}</td><td>{Millis(p.LatencyP95)}</td><td>{Millis(p.TimeToFirstTokenP50)}</td>")
                    .Append("<td>").Append(Html.Encode(p.LastFailure?.ToString() ?? "")).Append("</td></tr>");
            }
        }

        html.Append("</tbody></table></section>");
    }

    private static void Fallbacks(StringBuilder html, IReadOnlyList<GatewayCall> calls)
    {
        html.Append("<section id=\"events\"><h2>Latest fallbacks</h2>");
        if (calls.Count == 0)
        {
            html.Append("<p class=\"none\">No call has fallen back since the gateway started.</p>");
        }

        foreach (var call in calls)
        {
            var reasons = string.Join(", ", call.Attempts.Where(a => !a.Succeeded).Select(a => a.Outcome.ToString()).Distinct());
            html.Append(CultureInfo.InvariantCulture, $"<details class=\"event\" id=\"event-{call.Sequence}\" data-status=\"{call.Status}\"><summary>")
                .Append(Html.Encode(call.At.ToString("HH:mm:ss", CultureInfo.InvariantCulture))).Append(' ')
                .Append(Html.Encode(call.Model)).Append(" → ").Append(Html.Encode(call.Provider ?? "no answer"))
                .Append(CultureInfo.InvariantCulture, $" · HTTP {call.Status} · ").Append(Html.Encode(reasons))
                .Append(call.ContinuedFrom is { Count: > 1 } joined ? " · continued " + Html.Encode(string.Join(" → ", joined)) : string.Empty)
                .Append("</summary><p>key ").Append(Html.Encode(call.KeyId)).Append(", tenant ").Append(Html.Encode(call.Tenant ?? "none"))
                .Append(call.Streamed ? ", streamed" : ", whole")
                .Append(call.CostUsd is decimal cost ? string.Create(CultureInfo.InvariantCulture, $", {cost:0.######} USD") : string.Empty)
                .Append("</p><table><thead><tr><th>provider</th><th>model</th><th>outcome</th><th>status</th><th>elapsed</th><th>detail</th></tr></thead><tbody>");
            foreach (var a in call.Attempts)
            {
                html.Append("<tr><td>").Append(Html.Encode(a.Provider)).Append("</td><td>").Append(Html.Encode(a.Model)).Append("</td><td>")
                    .Append(Html.Encode(a.Skipped ? $"skipped: {a.Outcome}" : a.Outcome.ToString())).Append("</td><td>")
                    .Append(a.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "").Append("</td><td>").Append(Millis(a.Elapsed)).Append("</td><td>")
                    .Append(Html.Encode(a.Detail ?? "")).Append("</td></tr>");
            }

            html.Append("</tbody></table></details>");
        }

        html.Append("</section>");
    }

    private static string Millis(TimeSpan? value) =>
        value is { } time ? string.Create(CultureInfo.InvariantCulture, $"{time.TotalMilliseconds:0.#} ms") : "–";

    /// <summary>Fetches the panels every few seconds and swaps them in, keeping the fallbacks a reader opened open.</summary>
    private static string RefreshScript(int seconds) => string.Create(CultureInfo.InvariantCulture, $$"""
        (function () {
          async function refresh() {
            try {
              const response = await fetch("dashboard/panels", { credentials: "same-origin", cache: "no-store" });
              if (response.status === 401) { window.location.reload(); return; }
              if (!response.ok) { return; }
              const open = Array.from(document.querySelectorAll("details[open]"), d => d.id);
              document.getElementById("panels").innerHTML = await response.text();
              open.forEach(id => { const d = document.getElementById(id); if (d) { d.open = true; } });
              document.getElementById("refreshed").textContent = new Date().toISOString().substring(11, 19) + " UTC";
            } catch (e) { /* the gateway is restarting or gone: try again at the next tick */ }
          }
          window.setInterval(refresh, {{seconds * 1000}});
        })();
        """);

    private const string Styles = """
        body{font-family:system-ui,sans-serif;margin:0 1.5rem 2rem;color:#222}
        header{display:flex;gap:1rem;align-items:baseline;border-bottom:1px solid #ddd}
        header h1{font-size:1.3rem}header form{margin-left:auto}
        h2{font-size:1.05rem;margin:1.4rem 0 .4rem}
        table{border-collapse:collapse;font-size:.85rem}th,td{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
        .circuit.ok{color:#1a7f37}.circuit.bad{color:#b42318;font-weight:600}
        details.event{border:1px solid #eee;border-radius:4px;margin:.3rem 0;padding:.3rem .6rem}
        details.event summary{cursor:pointer}
        meter{width:120px}
        .error{color:#b42318}.none{color:#666}
        """;
}
