using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using SkFallback.Proxy.Keys;
using SkFallback.Proxy.Quotas;

namespace SkFallback.Proxy.Dashboard;

/// <summary>The spend panel: every key's and tenant's budget with what is spent and held against it, from the quota store.</summary>
internal static class DashboardSpend
{
    /// <summary>Reads the rows.</summary>
    /// <param name="keys">The gateway keys.</param>
    /// <param name="tenantLimits">Each limited tenant's daily limit (the chains' <c>Budget:TenantDailyLimits</c>).</param>
    /// <param name="ledger">The gateway's ledger (its store, and this replica's totals).</param>
    /// <param name="now">The time, which picks the day and month.</param>
    /// <returns>The rows, keys first.</returns>
    public static List<SpendRow> Read(IEnumerable<GatewayKey> keys, IReadOnlyDictionary<string, decimal> tenantLimits, GatewayLedger ledger, DateTimeOffset now)
    {
        var rows = new List<SpendRow>();
        foreach (var key in keys.Where(k => k.HasBudget))
        {
            foreach (var account in GatewayLedger.AccountsOf(null, null, key, now))
            {
                rows.Add(Row("key", key.Id, account.IsMonthly ? "this month" : "today", account, ledger.Store));
            }
        }

        foreach (var (tenant, limit) in tenantLimits.OrderBy(t => t.Key, StringComparer.OrdinalIgnoreCase))
        {
            foreach (var account in GatewayLedger.AccountsOf(tenant, limit, null, now))
            {
                rows.Add(Row("tenant", tenant, "today", account, ledger.Store));
            }
        }

        foreach (var (tenant, totals) in ledger.Totals.ByTenant.OrderBy(t => t.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (!tenantLimits.ContainsKey(tenant))
            {
                rows.Add(new SpendRow("tenant", tenant, "since start", totals.CostUsd, 0, null));
            }
        }

        return rows;
    }

    /// <summary>Writes the panel.</summary>
    /// <param name="html">Where it goes.</param>
    /// <param name="rows">The rows.</param>
    public static void Write(StringBuilder html, IReadOnlyList<SpendRow> rows)
    {
        var encode = HtmlEncoder.Default;
        html.Append("<section id=\"spend\"><h2>Spend against budget</h2>");
        if (rows.Count == 0)
        {
            html.Append("<p class=\"none\">Nothing spent yet, and no key or tenant has a budget.</p></section>");
            return;
        }

        html.Append("<table><thead><tr><th></th><th>name</th><th>period</th><th>spent</th><th>held</th><th>budget</th><th></th></tr></thead><tbody>");
        foreach (var row in rows)
        {
            var share = row.LimitUsd is decimal limit && limit > 0 ? (double)Math.Min(1m, (row.SpentUsd + row.HeldUsd) / limit) : 0;
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"spend\" data-owner=\"{row.Owner}\" data-name=\"{encode.Encode(row.Name)}\"><td>{row.Owner}</td><td>")
                .Append(encode.Encode(row.Name)).Append("</td><td>").Append(row.Period)
                .Append(CultureInfo.InvariantCulture, $"</td><td>{row.SpentUsd:0.######} USD</td><td>{row.HeldUsd:0.######} USD</td><td>")
                .Append(row.LimitUsd is decimal l ? string.Create(CultureInfo.InvariantCulture, $"{l:0.##} USD") : "none").Append("</td><td>")
                .Append(row.LimitUsd is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"<meter min=\"0\" max=\"1\" low=\"0.8\" high=\"0.95\" optimum=\"0\" value=\"{share:0.###}\" title=\"{share:P0}\"></meter>"))
                .Append("</td></tr>");
        }

        html.Append("</tbody></table></section>");
    }

    private static SpendRow Row(string owner, string name, string period, QuotaAccount account, IQuotaStore store)
    {
        var (spent, held) = store.Read(account);
        return new SpendRow(owner, name, period, QuotaAccount.ToUsd(spent), QuotaAccount.ToUsd(held), QuotaAccount.ToUsd(account.LimitNanos));
    }
}
