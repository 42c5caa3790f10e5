using System.Globalization;
using System.Text;

namespace SkFallback.ConcurrencyLoad;

/// <summary>The run's table: chain and peer side by side per phase and stream count, with the chain/peer ratios.</summary>
internal static class Report
{
    public static string Markdown(IReadOnlyList<PhaseResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| clients | phase | N | client | p50 | p99 | max | exact | peak pool threads | allocated per stream | load before → after | lost |");
        text.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var r in results.OrderBy(r => r.Warm).ThenBy(r => r.Faulty).ThenBy(r => r.N).ThenBy(r => r.Client))
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {(r.Warm ? "warm" : "fresh")} | {(r.Faulty ? "faulty" : "healthy")} | {r.N} | {(r.Client == "chain" ? "FallbackChatClient" : "OrderedFailoverChatClient")} | {r.P50Ms:0.00} ms | {r.P99Ms:0.00} ms | {r.MaxMs:0} ms | "
                + $"{r.Exact}/{r.Streams} ({100.0 * r.Exact / r.Streams:0.0}%) | {r.PeakPoolThreads} | {r.AllocatedBytesPerStream:N0} B | {r.LoadBefore} → {r.LoadAfter} | {Lost(r)} |"));
        }

        text.AppendLine();
        text.AppendLine("| clients | phase | N | chain p50 / peer p50 | chain p99 / peer p99 |");
        text.AppendLine("|---|---|---:|---:|---:|");
        foreach (var group in results.GroupBy(r => (r.Warm, r.Faulty, r.N)).OrderBy(g => g.Key.Warm).ThenBy(g => g.Key.Faulty).ThenBy(g => g.Key.N))
        {
            var chain = group.FirstOrDefault(r => r.Client == "chain");
            var peer = group.FirstOrDefault(r => r.Client == "peer");
            if (chain is not null && peer is not null)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {(group.Key.Warm ? "warm" : "fresh")} | {(group.Key.Faulty ? "faulty" : "healthy")} | {group.Key.N} | {chain.P50Ms / peer.P50Ms:0.000} | {chain.P99Ms / peer.P99Ms:0.000} |"));
            }
        }

        return text.ToString();
    }

    private static string Lost(PhaseResult r) => r.Lost.Count == 0 ? "—" : string.Join(", ", r.Lost.OrderByDescending(l => l.Value).Select(l => $"{l.Key} ×{l.Value}"));
}
