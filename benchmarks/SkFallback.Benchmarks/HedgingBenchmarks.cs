using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Routing;
using SkFallback.Simulator;

namespace SkFallback.Benchmarks;

/// <summary>
/// Hedging on a heavy-tail latency profile: whole calls over HTTP to the simulator, one call per iteration, so the
/// percentiles are those of single calls. Both models answer in about 3 ms, except 5% of requests that wait 300 ms
/// (drawn from the simulator's seed). The cost columns come from each chain's ledger: what a call cost on average,
/// and how much more than without hedging.
/// </summary>
[Config(typeof(HedgingConfig))]
public class HedgingBenchmarks
{
    private const string Primary = "tail-primary-2024-01-01";
    private const string Backup = "tail-backup-2024-01-01";

    private static readonly ConcurrentDictionary<string, (long Calls, decimal CostUsd, long Hedges)> Results = new();

    private readonly ChatOptions _options = new() { MaxOutputTokens = 64 };
    private ProviderSimulator? _simulator;
    private FallbackChatClient? _chain;
    private SpendLedger? _ledger;
    private long _calls;

    /// <summary>Gets or sets how calls race: <c>none</c> (one provider at a time), <c>hedged</c> (the backup after 30 ms), <c>parallel</c> (both at once).</summary>
    [Params("none", "hedged", "parallel")]
    public string Mode { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        // The simulator and the chain share this process's thread pool: start it with threads enough for both, so the
        // case that runs first does not pay for the pool's slow growth (every case gets the same).
        ThreadPool.GetMinThreads(out var workers, out var ports);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(ports, 16));
        _simulator = ProviderSimulator.StartAsync().GetAwaiter().GetResult();
        var profile = new LatencyProfile(TimeSpan.FromMilliseconds(3), 0, 0.2) { SlowFraction = 0.05, SlowTimeToFirstToken = TimeSpan.FromMilliseconds(300) };
        _simulator.Model(Primary).WithLatency(profile);
        _simulator.Model(Backup).WithLatency(profile);

        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.Add(new ProviderOptions { Name = "primary", Kind = ProviderKinds.OpenAI, Model = Primary, ApiKey = "sk-bench-0000000000", Endpoint = _simulator.OpenAIEndpoint });
        options.Add(new ProviderOptions { Name = "backup", Kind = ProviderKinds.OpenAI, Model = Backup, ApiKey = "sk-bench-0000000000", Endpoint = _simulator.OpenAIEndpoint });
        var hedging = options.Routing.Hedging;
        hedging.Mode = Enum.Parse<HedgingMode>(Mode, ignoreCase: true);
        hedging.Delay = TimeSpan.FromMilliseconds(30);
        hedging.DelayFromObservedP95 = false;
        hedging.MaxExtraAttemptFraction = hedging.Mode == HedgingMode.Parallel ? 1 : 0.1;
        _ledger = new SpendLedger();
        _chain = new FallbackChatClient(options, priceCatalog: Catalog(), ledger: _ledger);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Results[Mode] = (_calls, _ledger!.Total.CostUsd, _chain!.Hedging.Hedges);
        _chain.Dispose();
        _simulator?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>One call through the chain.</summary>
    [Benchmark]
    public async Task<string> Call()
    {
        var n = Interlocked.Increment(ref _calls);
        var response = await _chain!.GetResponseAsync("Question " + n.ToString(CultureInfo.InvariantCulture) + ": name a river.", _options).ConfigureAwait(false);
        return response.Text;
    }

    private static PriceCatalog Catalog()
    {
        static string Entry(string model) =>
            $$"""  "{{model}}": { "provider": "OpenAI", "inputPerMillion": 2.5, "outputPerMillion": 10, "contextWindow": 128000, "maxOutputTokens": 4096, "qualityTier": 4 }""";
        var json = $$"""{ "asOf": "2026-11-29", "models": { {{Entry(Primary)}}, {{Entry(Backup)}} } }""";
        return PriceCatalog.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), sourceName: "benchmark catalog");
    }

    private sealed class HedgingConfig : ManualConfig
    {
        public HedgingConfig()
        {
            // In process, so the cost columns can read what each case's ledger recorded.
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(150).WithIterationCount(400)
                .WithInvocationCount(1).WithUnrollFactor(1).WithOutlierMode(Perfolizer.Mathematics.OutlierDetection.OutlierMode.DontRemove).WithStrategy(RunStrategy.Throughput));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.Max, new CostColumn(extra: false), new CostColumn(extra: true), new HedgedColumn());
        }
    }

    /// <summary>What a call cost on average (µUSD at the benchmark's catalog prices), or how much more than with no hedging.</summary>
    private sealed class CostColumn(bool extra) : IColumn
    {
        public string Id => extra ? "ExtraCost" : "CostPerCall";

        public string ColumnName => extra ? "Extra cost" : "Cost/call (µUSD)";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => extra ? 1 : 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => extra ? "Cost per call over the cost per call without hedging, minus one" : "Ledger total over calls made (warm-up included), in millionths of a US dollar";

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mode = (string)benchmarkCase.Parameters["Mode"];
            if (!Results.TryGetValue(mode, out var result) || result.Calls == 0)
            {
                return "NA";
            }

            var perCall = result.CostUsd / result.Calls;
            if (!extra)
            {
                return (perCall * 1_000_000m).ToString("0.00", CultureInfo.InvariantCulture);
            }

            if (!Results.TryGetValue("none", out var none) || none.Calls == 0 || none.CostUsd == 0)
            {
                return "NA";
            }

            var baseline = none.CostUsd / none.Calls;
            return ((perCall / baseline) - 1).ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The share of calls that started an extra attempt.</summary>
    private sealed class HedgedColumn : IColumn
    {
        public string Id => "Hedged";

        public string ColumnName => "Hedged calls";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 2;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Extra attempts started over calls made";

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
            Results.TryGetValue((string)benchmarkCase.Parameters["Mode"], out var result) && result.Calls > 0
                ? ((double)result.Hedges / result.Calls).ToString("0.0%", CultureInfo.InvariantCulture)
                : "NA";
    }
}
