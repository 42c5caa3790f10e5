using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SkFallback.ConcurrencyLoad;
using SkFallback.Simulator;

// N streams started at once, through FallbackChatClient and through Microsoft.Extensions.AI's OrderedFailoverChatClient,
// against two OpenAI-wire simulators (the first flaky in the faulty phases, the second healthy; same model and seed, so
// a continuation is exact), healthy and with faults, in one run. The simulators run in this process; each (clients,
// phase, N) cell runs in a child process of its own, its waves alternating between the two clients, so both meet the
// machine as it is and the threads and allocations counted are the clients' (the servers are here).
if (args.Contains("--child"))
{
    return await ChildRun.RunAsync(args);
}

var options = LoadOptions.Parse(args);
await using var flaky = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = LoadOptions.Seed });
await using var healthy = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = LoadOptions.Seed });
string[] clientNames = ["chain", "peer"];
var results = new List<PhaseResult>();
Console.WriteLine($"load average before: {LoadAverage()}; {Environment.ProcessorCount} cores; .NET {Environment.Version}; "
    + $"samples per cell {options.Samples}; caller deadline {options.CallerDeadline.TotalSeconds:0.#} s; simulator TTFT {LoadOptions.TimeToFirstTokenMs} ms, {LoadOptions.TokensPerSecond} tokens/s; "
    + $"faulty mix {options.Mix.ServerErrorShare:P0} 503, {options.Mix.DropShare:P0} drops, {options.Mix.StallShare:P0} stalls (seed {LoadOptions.Seed})");
foreach (var clients in options.Clients)
{
    foreach (var faulty in options.Phases)
    {
        foreach (var n in options.Counts)
        {
            var rounds = Math.Max(1, (int)Math.Ceiling(options.Samples / (double)n));
            var warm = clients == "warm";
            Script(flaky, faulty ? options.Mix : null, rounds * n * 4, warmUpOnMeasured: warm, warmUpOnWarmUpModel: false);
            Script(healthy, null, 0, warmUpOnMeasured: false, warmUpOnWarmUpModel: !warm);
            var before = LoadAverage();
            var cell = await RunChildAsync(n, rounds, faulty, clients);
            var after = LoadAverage();
            foreach (var result in cell)
            {
                results.Add(result with { LoadBefore = before, LoadAfter = after });
                Console.WriteLine(Describe(results[^1]));
                foreach (var (type, bytes) in result.AllocationTypes)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {bytes / result.Streams,10:N0} B/stream  {type}"));
                }

                foreach (var (path, count) in result.Paths.OrderByDescending(p => p.Value.Streams).Take(options.Paths))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {count.Streams,4} x {count.TotalMs / count.Streams,8:0.0} ms  {path}"));
                }
            }
        }
    }
}

Console.WriteLine();
Console.WriteLine(Report.Markdown(results));
Console.WriteLine($"load average after: {LoadAverage()}");
return 0;

void Script(ProviderSimulator sim, FaultMix? mix, int requests, bool warmUpOnMeasured, bool warmUpOnWarmUpModel)
{
    // A fresh script per cell: each client has its own model, which meets the same seeded faults in the same order.
    sim.Reset();
    foreach (var client in clientNames)
    {
        var latency = new LatencyProfile(TimeSpan.FromMilliseconds(LoadOptions.TimeToFirstTokenMs), LoadOptions.TokensPerSecond, 0.2);
        var script = sim.Model(LoadOptions.ModelOf(client)).WithLatency(latency);
        var warmUp = sim.Model(LoadOptions.WarmUpModelOf(client)).WithLatency(latency);
        if (warmUpOnMeasured || warmUpOnWarmUpModel)
        {
            // The warm-up's first stream breaks after commit (the chain continues it, loading its token encoding once
            // per process, outside the measurement); the rest are answered well. A warm client warms up on its
            // measured model (on this server, the first), a fresh one on its warm-up model.
            (warmUpOnMeasured ? script : warmUp).Then(SimulatedBehavior.DropAfter(10)).Then(SimulatedBehavior.Ok(), LoadOptions.WarmUpStreams - 1);
        }

        if (mix is not null)
        {
            script.Then(mix, requests);
        }
    }
}

async Task<List<PhaseResult>> RunChildAsync(int n, int rounds, bool faulty, string clients)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
    {
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(ChildRun).Assembly.Location);
    }

    foreach (var argument in new[]
    {
        "--child", "--n", n.ToString(CultureInfo.InvariantCulture), "--rounds", rounds.ToString(CultureInfo.InvariantCulture),
        "--flaky", flaky.OpenAIEndpoint.ToString(), "--healthy", healthy.OpenAIEndpoint.ToString(),
        "--expected-chain", flaky.ExpectedReply(LoadOptions.ModelOf("chain"), LoadOptions.Question),
        "--expected-peer", flaky.ExpectedReply(LoadOptions.ModelOf("peer"), LoadOptions.Question),
        "--deadline-ms", options.CallerDeadline.TotalMilliseconds.ToString(CultureInfo.InvariantCulture), "--faulty", faulty ? "true" : "false", "--clients", clients,
    })
    {
        start.ArgumentList.Add(argument);
    }

    foreach (var flag in new[] { "--allocation-types", "--peer-first" }.Where(args.Contains))
    {
        start.ArgumentList.Add(flag);
    }

    using var process = Process.Start(start)!;
    var stderr = process.StandardError.ReadToEndAsync();
    var stdout = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    var lines = stdout.Split('\n').Where(l => l.StartsWith(ChildRun.ResultPrefix, StringComparison.Ordinal)).ToList();
    if (lines.Count != clientNames.Length)
    {
        throw new InvalidOperationException($"The child (N={n}) gave {lines.Count} results; exit {process.ExitCode}: {stdout} {await stderr}");
    }

    return lines.Select(l => JsonSerializer.Deserialize<PhaseResult>(l[ChildRun.ResultPrefix.Length..])!).ToList();
}

static string Describe(PhaseResult r) => string.Create(CultureInfo.InvariantCulture,
    $"{(r.Warm ? "warm " : "fresh")} {(r.Faulty ? "faulty " : "healthy")} N={r.N,-3} {r.Client,-5} p50 {r.P50Ms,8:0.00} ms  p99 {r.P99Ms,8:0.00} ms  exact {r.Exact}/{r.Streams}  pool threads {r.PeakPoolThreads,3}  {r.AllocatedBytesPerStream,9:N0} B/stream  load {r.LoadBefore} -> {r.LoadAfter}{(r.Lost.Count > 0 ? "  lost: " + string.Join(", ", r.Lost.Select(l => $"{l.Key} x{l.Value}")) : "")}");

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
